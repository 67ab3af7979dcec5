import FlukeAPI
import FlukeStation
import Foundation
import XCTest

/// The pieces under the protocol: strict decoding, field diffs, backoff, and the `[hub]` section.
final class WireAndConfigTests: XCTestCase {
    func testStrictDecodingNamesUnknownFieldsAtAnyDepthButAcceptsNull() throws {
        let sha = String(repeating: "c", count: 64)
        let nested = #"{"items":[{"kind":"sighting","item_id":"s","photo_sha256":"\#(sha)","captured_at":"2026-07-14T09:00:00Z","camera":"c","decision":"new","embedding":{"model_version":"m","dimension":1,"f32le_base64":"AACAPw==","extra":1}}]}"#
        XCTAssertThrowsError(try WireCoding.decodeStrictly(Batch.self, from: Data(nested.utf8))) { error in
            XCTAssertEqual((error as? WireDecodingError)?.code, "unknown-field")
            XCTAssertTrue("\(error)".contains("items[0].embedding.extra"), "\(error)")
        }
        let withNull = #"{"items":[{"kind":"sighting","item_id":"s","photo_sha256":"\#(sha)","captured_at":"2026-07-14T09:00:00Z","camera":"c","decision":"new","score":null}]}"#
        let batch = try WireCoding.decodeStrictly(Batch.self, from: Data(withNull.utf8))
        guard case .sighting(let s) = batch.items[0] else { return XCTFail("not a sighting") }
        XCTAssertNil(s.score)
        let badBase64 = nested.replacingOccurrences(of: #","extra":1"#, with: "").replacingOccurrences(of: "AACAPw==", with: "AAA=")
        XCTAssertThrowsError(try WireCoding.decodeStrictly(Batch.self, from: Data(badBase64.utf8))) { error in
            XCTAssertTrue("\(error)".contains("f32le_base64"), "\(error)")
        }
    }

    func testEmbeddingsRoundTripExactlyAndFieldDiffsNameOnlyWhatChanged() throws {
        let v: [Float] = [1.5, -0.25, .pi, 0]
        XCTAssertEqual(WireEmbedding(modelVersion: "m", vector: v).vector, v)
        let a = JSONValue.object(["camera": .string("bow"), "score": .number(0.5), "name": .null])
        let b = JSONValue.object(["camera": .string("stern"), "score": .number(0.5), "extra": .bool(true)])
        XCTAssertEqual(JSONValue.differingFields(a, b), ["camera", "extra"])
        XCTAssertEqual(cosineSimilarity([1, 0], [1, 0]), 1, accuracy: 1e-12)
        XCTAssertEqual(cosineSimilarity([1, 0], [0, 1]), 0, accuracy: 1e-12)
    }

    func testBackoffDoublesWithJitterUpToTheCeilingAndResets() {
        var b = Backoff(minimum: 1, maximum: 8)
        var rng = SystemRandomNumberGenerator()
        let waits = (0..<6).map { _ in b.failed(using: &rng) }
        for (i, w) in waits.enumerated() {
            let ceiling = min(8, pow(2, Double(i)))
            XCTAssertTrue((ceiling / 2...ceiling).contains(w), "try \(i + 1): \(w) not in \(ceiling / 2)...\(ceiling)")
        }
        b.succeeded()
        XCTAssertLessThanOrEqual(b.failed(using: &rng), 1)
    }

    func hubError(_ body: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse("[station]\nid = \"boat\"\n[hub]\n" + body, file: "fw.toml")
            return nil
        } catch { return error }
    }

    func testHubSectionKeysAreCheckedWithTheirLine() throws {
        let c = try ConfigLoader.parse("""
            [hub]
            url = "https://hub.example.org/"
            token = "fwh_abc"
            max_bytes_per_round = 65536
            batch_items = 50
            interval_seconds = 60
            retry_min_seconds = 2
            retry_max_seconds = 120
            timeout_seconds = 10
            """, file: "fw.toml")
        let hub = try XCTUnwrap(c.hub)
        XCTAssertEqual(hub.url.absoluteString, "https://hub.example.org/")
        XCTAssertEqual([hub.maxBytesPerRound, hub.batchItems], [65536, 50])
        XCTAssertEqual([hub.intervalSeconds, hub.retryMinSeconds, hub.retryMaxSeconds, hub.timeoutSeconds], [60, 2, 120, 10])
        XCTAssertNil(try ConfigLoader.parse("[hub]\n", file: "fw.toml").hub, "an empty [hub] means no hub")

        let cases: [(String, String, Int, String)] = [
            ("token = \"t\"\n", "hub.url", 3, "needs a url"),
            ("url = \"ftp://x\"\ntoken = \"t\"\n", "hub.url", 4, "http:// or https://"),
            ("url = \"https://h\"\n", "hub.token", 3, "needs the station's token"),
            ("url = \"https://h\"\ntoken = \"a b\"\n", "hub.token", 5, "spaces"),
            ("url = \"https://h\"\ntoken = \"t\"\nmax_bytes_per_round = 10\n", "hub.max_bytes_per_round", 6, "4096"),
            ("url = \"https://h\"\ntoken = \"t\"\nbatch_items = 501\n", "hub.batch_items", 6, "500"),
            ("url = \"https://h\"\ntoken = \"t\"\nretry_min_seconds = 10\nretry_max_seconds = 5\n", "hub.retry_max_seconds", 7, "retry_min_seconds"),
            ("url = \"https://h\"\ntoken = \"t\"\nmax_byte_per_round = 1\n", "hub.max_byte_per_round", 6, "unknown key"),
        ]
        for (body, key, line, words) in cases {
            let e = try XCTUnwrap(hubError(body), body)
            XCTAssertEqual(e.key, key, body)
            XCTAssertEqual(e.line, line, "\(body) → \(e)")
            XCTAssertTrue(e.message.contains(words), "\(body) → \(e)")
        }
    }
}
