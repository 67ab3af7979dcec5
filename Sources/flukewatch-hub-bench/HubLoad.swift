import AsyncHTTPClient
import FlukeAPI
import Foundation
import NIOCore

struct BenchResult {
    var backend: String
    var stations: Int
    var sightings: Int
    var seconds: Double
    var latenciesMs: [Double]

    var line: String {
        let sorted = latenciesMs.sorted()
        func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        return backend.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: " %8d  %9d  %7.2f  %11.0f  %6.1f  %6.1f  %6.1f", stations, sightings, seconds,
                      Double(sightings) / seconds, pct(0.50), pct(0.99), sorted.last ?? 0)
    }
}

/// One run: a fresh hub and database, `stations` tokens, then every station sends its batches
/// back to back while the others do the same. Every answer must be a 200 accepting every item,
/// or the run stops: a benchmark of failures would be meaningless.
func runBenchmark(backend: BenchOptions.Backend, stations: Int, options: BenchOptions, client: HTTPClient) async throws -> BenchResult {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("fw-hub-bench-\(getpid())-\(stations)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let storage: [String] = switch backend {
    case .sqlite: ["--db", work.appendingPathComponent("hub.sqlite").path]
    case .postgres(let template): ["--postgres", template.replacingOccurrences(of: "{n}", with: "\(stations)")]
    }
    let hub = try BenchHub(binary: options.hubBinary, storage: storage)
    defer { hub.stop() }
    let tokens = try (0..<stations).map { try hub.addStation("bench-\($0)") }
    // Bodies are encoded before the clock starts: the benchmark measures the hub, not itself.
    let bodies: [[ByteBuffer]] = try (0..<stations).map { s in
        try (0..<options.batches).map { b in
            let items = (0..<options.batchSize).map { i in
                SyncItem.sighting(SightingItem(
                    itemID: "s-\(s)-\(b)-\(i)", photoSHA256: String(repeating: String(format: "%02x", (b * 7 + i) % 256), count: 32),
                    capturedAt: "2026-07-14T09:00:00Z", camera: "bow", latitude: -23.8, longitude: -45.3, decision: .new,
                    embedding: WireEmbedding(modelVersion: "bench", vector: (0..<options.dimension).map { Float(($0 + i + b) % 17) / 17 })))
            }
            return ByteBuffer(bytes: try WireCoding.encode(Batch(items: items)))
        }
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for s in 0..<stations {
            let url = hub.url + HubPath.batches(station: "bench-\(s)")
            group.addTask {
                var times: [Double] = []
                for body in bodies[s] {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(tokens[s])")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(body)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let response = try await client.execute(request, timeout: .seconds(120))
                    let answer = try await response.body.collect(upTo: 16 << 20)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    let text = String(buffer: answer)
                    guard response.status.code == 200, !text.contains("\"duplicate\"") else {
                        throw BenchError("station bench-\(s): HTTP \(response.status.code): \(text.prefix(300))")
                    }
                }
                return times
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return BenchResult(backend: backend.name, stations: stations, sightings: stations * options.batches * options.batchSize,
                       seconds: seconds, latenciesMs: latencies)
}

/// `flukewatch-hub serve` as a child process on a free loopback port, rate limits out of the way.
final class BenchHub {
    let process = Process()
    let binary: String
    let storage: [String]
    private(set) var url = ""

    init(binary: String, storage: [String]) throws {
        self.binary = binary
        self.storage = storage
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve"] + storage + ["--listen", "127.0.0.1:0", "--rate", "1000000", "--burst", "1000000",
                                                  "--log-level", "warning"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The hub prints one line once it listens: "flukewatch-hub listening on 127.0.0.1:PORT (…)".
        var seen = ""
        while !seen.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("the hub exited before listening (\(storage.joined(separator: " ")))") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = seen.split(separator: ":").dropFirst().first?.split(separator: " ").first else {
            throw BenchError("unexpected first line from the hub: \(seen)")
        }
        url = "http://127.0.0.1:\(port)"
    }

    func addStation(_ name: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["station", "add", name] + storage
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let token = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        p.waitUntilExit()
        guard p.terminationStatus == 0, token.hasPrefix("fwh_") else { throw BenchError("station add \(name) failed") }
        return token
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
