import Crypto
import FlukeAPI
import Foundation
import NIOHTTP1
import XCTest

/// The hub as a real process on 127.0.0.1, driven over HTTP: idempotency, conflicts, and every
/// way a request can be wrong answered with a 4xx that says why, never a 5xx. On SQLite here;
/// HubProtocolPostgresTests runs the same tests on PostgreSQL.
class HubProtocolTests: XCTestCase {
    var hub: HubUnderTest!
    let http = TestHTTP()

    func makeBackend() throws -> HubBackend { .sqlite }

    override func tearDown() async throws {
        hub?.stop()
        await http.shutdown()
    }

    func sighting(_ id: String, camera: String = "bow") -> SyncItem {
        .sighting(SightingItem(itemID: id, photoSHA256: String(repeating: "a", count: 64), capturedAt: "2026-07-14T09:00:00-03:00",
                               camera: camera, latitude: -23.8, longitude: -45.3, decision: .new,
                               embedding: WireEmbedding(modelVersion: "m1", vector: [1, 0, 0.5])))
    }

    func batch(_ items: SyncItem...) throws -> Data { try WireCoding.encode(Batch(items: items)) }

    func testResendIsANoOpAndChangedContentIs409NamingTheFields() async throws {
        hub = try HubUnderTest(backend: try makeBackend())
        try hub.start()
        let token = try hub.addToken("station", "boat-a")
        let url = hub.url + HubPath.batches(station: "boat-a")

        let first = try await http.send(.POST, url, token: token, body: try batch(sighting("s-1"), sighting("s-2")))
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual((first.json["results"] as? [[String: String]])?.map { $0["status"] }, ["accepted", "accepted"])

        let again = try await http.send(.POST, url, token: token, body: try batch(sighting("s-1"), sighting("s-2"), sighting("s-3")))
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual((again.json["results"] as? [[String: String]])?.map { $0["status"] }, ["duplicate", "duplicate", "accepted"])

        // The same id with another camera: refused whole, the differing field named.
        let changed = try await http.send(.POST, url, token: token, body: try batch(sighting("s-4"), sighting("s-1", camera: "stern")))
        XCTAssertEqual(changed.status, 409, changed.text)
        XCTAssertEqual(changed.json["code"] as? String, "item-conflict")
        let conflicts = try XCTUnwrap(changed.json["conflicts"] as? [[String: Any]])
        XCTAssertEqual(conflicts.count, 1)
        XCTAssertEqual(conflicts[0]["item_id"] as? String, "s-1")
        XCTAssertEqual(conflicts[0]["fields"] as? [String], ["camera"])
        XCTAssertTrue((changed.json["message"] as? String ?? "").contains("nothing was stored"))
        // All or nothing: s-4 was not stored with the refused batch.
        let retry = try await http.send(.POST, url, token: token, body: try batch(sighting("s-4")))
        XCTAssertEqual((retry.json["results"] as? [[String: String]])?.first?["status"], "accepted")

        // One id twice in the same batch: refused with a 400 that names it, never a 5xx.
        for copies in [[sighting("s-5"), sighting("s-5")], [sighting("s-6"), sighting("s-6", camera: "stern")]] {
            let twice = try await http.send(.POST, url, token: token, body: try batch(copies[0], copies[1]))
            XCTAssertEqual(twice.status, 400, twice.text)
            XCTAssertTrue(twice.text.contains("appears twice"), twice.text)
        }

        // Same content with keys in another order and other whitespace is still a duplicate.
        let raw = #"{ "items": [ {"camera":"bow","kind":"sighting","item_id":"s-2","photo_sha256":"\#(String(repeating: "a", count: 64))","captured_at":"2026-07-14T09:00:00-03:00","latitude":-23.8,"longitude":-45.3,"decision":"new","embedding":{"dimension":3,"model_version":"m1","f32le_base64":"\#(WireEmbedding(modelVersion: "m1", vector: [1, 0, 0.5]).f32leBase64)"}} ] }"#
        let reordered = try await http.send(.POST, url, token: token, body: Data(raw.utf8))
        XCTAssertEqual((reordered.json["results"] as? [[String: String]])?.first?["status"], "duplicate", reordered.text)
    }

    func testTokensAndBadInputAreRefusedWith4xxThatSayWhy() async throws {
        hub = try HubUnderTest(["--max-batch-bytes", "4096", "--max-crop-bytes", "2048"], backend: try makeBackend())
        try hub.start()
        let a = try hub.addToken("station", "boat-a")
        let b = try hub.addToken("station", "boat-b")
        let curator = try hub.addToken("curator", "carla")
        let url = hub.url + HubPath.batches(station: "boat-a")
        let ok = try batch(sighting("s-1"))

        func expect(_ status: Int, _ code: String?, _ answer: HTTPAnswer, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(answer.status, status, answer.text, file: file, line: line)
            if let code { XCTAssertEqual(answer.json["code"] as? String, code, answer.text, file: file, line: line) }
            XCTAssertFalse((answer.json["message"] as? String ?? "").isEmpty, "a Problem with a message: \(answer.text)", file: file, line: line)
        }

        expect(401, "unauthorized", try await http.send(.POST, url, body: ok))
        expect(401, "invalid-token", try await http.send(.POST, url, token: "fwh_not-a-token", body: ok))
        expect(401, "unauthorized", try await http.send(.POST, url, body: ok, headers: [("Authorization", "Basic abc")]))
        expect(403, "wrong-station", try await http.send(.POST, url, token: b, body: ok))
        expect(403, "forbidden", try await http.send(.POST, url, token: curator, body: ok))
        expect(403, "curator-only", try await http.send(.GET, hub.url + HubPath.candidates, token: a))
        expect(400, "invalid-json", try await http.send(.POST, url, token: a, body: Data("{\"items\": [".utf8)))
        let unknown = try await http.send(.POST, url, token: a, body: Data(#"{"items":[{"kind":"sighting","item_id":"x","photo_sha256":"\#(String(repeating: "b", count: 64))","captured_at":"2026-07-14T09:00:00Z","camera":"c","decision":"new","camra":"typo"}]}"#.utf8))
        expect(400, "unknown-field", unknown)
        XCTAssertTrue(unknown.text.contains("items[0].camra"), unknown.text)
        let wrongType = try await http.send(.POST, url, token: a, body: Data(#"{"items":[{"kind":"sighting","item_id":"x","photo_sha256":"\#(String(repeating: "b", count: 64))","captured_at":"2026-07-14T09:00:00Z","camera":"c","decision":"new","latitude":"south"}]}"#.utf8))
        expect(400, "invalid-field", wrongType)
        XCTAssertTrue(wrongType.text.contains("latitude"), wrongType.text)
        expect(400, "invalid-field", try await http.send(.POST, url, token: a, body: Data(#"{"items":[]}"#.utf8)))
        expect(400, "invalid-field", try await http.send(.POST, url, token: a, body: Data(#"{"items":[{"kind":"whale"}]}"#.utf8)))
        expect(400, "invalid-field", try await http.send(.POST, url, token: a, body: Data(#"{"items":[{"kind":"sighting","item_id":"x","photo_sha256":"short","captured_at":"2026-07-14T09:00:00Z","camera":"c","decision":"new"}]}"#.utf8)))
        expect(400, "invalid-field", try await http.send(.POST, url, token: a, body: Data(#"{"items":[{"kind":"sighting","item_id":"x","photo_sha256":"\#(String(repeating: "b", count: 64))","captured_at":"yesterday","camera":"c","decision":"new"}]}"#.utf8)))
        expect(415, "unsupported-media-type", try await http.send(.POST, url, token: a, body: ok, contentType: "text/plain"))
        let big = try batch(sighting("s-big", camera: String(repeating: "x", count: 100)), sighting("s-2"), sighting("s-3"), sighting("s-4"),
                            sighting("s-5"), sighting("s-6"), sighting("s-7"), sighting("s-8"), sighting("s-9"), sighting("s-10"),
                            sighting("s-11"), sighting("s-12"), sighting("s-13"))
        XCTAssertGreaterThan(big.count, 4096)
        expect(413, "too-large", try await http.send(.POST, url, token: a, body: big))

        // Crops: verified, size-limited, addressed by a real SHA-256.
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0] + (0..<500).map { UInt8($0 % 251) })
        let sha = sha256Hex(jpeg)
        expect(400, "invalid-parameter", try await http.send(.PUT, hub.url + HubPath.crop("not-a-sha"), token: a, body: jpeg, contentType: "image/jpeg"))
        expect(422, "digest-mismatch", try await http.send(.PUT, hub.url + HubPath.crop(String(repeating: "0", count: 64)), token: a, body: jpeg, contentType: "image/jpeg"))
        expect(400, "not-a-jpeg", try await http.send(.PUT, hub.url + HubPath.crop(sha256Hex(Data("hello".utf8))), token: a, body: Data("hello".utf8), contentType: "image/jpeg"))
        let huge = Data([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 7, count: 4000))
        expect(413, "too-large", try await http.send(.PUT, hub.url + HubPath.crop(sha256Hex(huge)), token: a, body: huge, contentType: "image/jpeg"))
        let answer1 = try await http.send(.HEAD, hub.url + HubPath.crop(sha), token: a)
        XCTAssertEqual(answer1.status, 404)
        let answer2 = try await http.send(.PUT, hub.url + HubPath.crop(sha), token: a, body: jpeg, contentType: "image/jpeg")
        XCTAssertEqual(answer2.status, 201)
        let answer3 = try await http.send(.PUT, hub.url + HubPath.crop(sha), token: a, body: jpeg, contentType: "image/jpeg")
        XCTAssertEqual(answer3.status, 200)
        let answer4 = try await http.send(.HEAD, hub.url + HubPath.crop(sha), token: a)
        XCTAssertEqual(answer4.status, 200)
        let answer5 = try await http.send(.GET, hub.url + HubPath.crop(sha), token: curator)
        XCTAssertEqual(answer5.body, jpeg)

        // Parameters and routes.
        expect(400, "invalid-parameter", try await http.send(.GET, hub.url + HubPath.changes + "?after=-1", token: a))
        expect(400, "invalid-parameter", try await http.send(.GET, hub.url + HubPath.changes + "?limit=abc", token: a))
        expect(400, "invalid-parameter", try await http.send(.GET, hub.url + HubPath.candidates + "?status=maybe", token: curator))
        expect(404, nil, try await http.send(.GET, hub.url + "/v1/nowhere", token: a))
        expect(404, "not-found", try await http.send(.POST, hub.url + HubPath.promote, token: curator,
                                                      body: try WireCoding.encode(PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: "P-boat-a-0009")]))))

        // A revoked token stops working at once, without a restart.
        let answer6 = try await http.send(.POST, url, token: a, body: ok)
        XCTAssertEqual(answer6.status, 200)
        XCTAssertEqual(try runTool("flukewatch-hub", ["station", "revoke", "boat-a"] + hub.storageArguments).status, 0)
        expect(401, "invalid-token", try await http.send(.POST, url, token: a, body: ok))

        // Garbage of every shape: never a 5xx.
        var rng = SystemRandomNumberGenerator()
        let valid = [UInt8](try batch(sighting("s-fuzz")))
        for i in 0..<150 {
            var bytes = valid
            for _ in 0..<(1 + i % 6) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch i % 3 {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: at)
                default: bytes.insert(UInt8.random(in: 32...126, using: &rng), at: at)
                }
            }
            let answer = try await http.send(.POST, hub.url + HubPath.batches(station: "boat-b"), token: b, body: Data(bytes))
            XCTAssertLessThan(answer.status, 500, "mutated body \(i): \(String(decoding: bytes, as: UTF8.self)) → \(answer.text)")
        }
        XCTAssertFalse(hub.process!.log.contains("internal error"), hub.process!.log)
    }

    func testEachTokenIsRateLimitedWith429AndRetryAfter() async throws {
        hub = try HubUnderTest(["--rate", "1", "--burst", "3"], backend: try makeBackend())
        try hub.start()
        let a = try hub.addToken("station", "boat-a")
        let b = try hub.addToken("station", "boat-b")
        var statuses: [Int] = []
        for _ in 0..<5 {
            let answer = try await http.send(.GET, hub.url + HubPath.changes, token: a)
            statuses.append(answer.status)
        }
        XCTAssertEqual(Array(statuses.prefix(3)), [200, 200, 200])
        XCTAssertEqual(statuses.last, 429)
        let limited = try await http.send(.GET, hub.url + HubPath.changes, token: a)
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.json["code"] as? String, "rate-limited")
        XCTAssertNotNil(limited.headers.first(name: "Retry-After").flatMap(Int.init))
        // Another token has its own bucket.
        let answer7 = try await http.send(.GET, hub.url + HubPath.changes, token: b)
        XCTAssertEqual(answer7.status, 200)
    }
}

func sha256Hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
