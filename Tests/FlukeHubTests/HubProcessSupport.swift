import AsyncHTTPClient
import FlukeTestSupport
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import XCTest

/// Executables built beside the test bundle (the test target depends on both).
enum Binary {
    static func path(_ name: String) -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return name
    }
}


/// Runs a built executable to completion.
func runTool(_ binary: String, _ arguments: [String]) throws -> CommandResult {
    try ProcessRun.toCompletion(Binary.path(binary), arguments,
                                environment: ProcessRun.isolatedEnvironment(removing: ["FLUKEWATCH_CONFIG", "FLUKEWATCH_HUB_DB"]))
}

/// A long-running process (hub or station) whose output goes to a log file.
final class BackgroundProcess {
    let process = Process()
    let logPath: String

    init(_ binary: String, _ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        if !FileManager.default.fileExists(atPath: logPath) { XCTAssertTrue(FileManager.default.createFile(atPath: logPath, contents: nil)) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: Binary.path(binary))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["FLUKEWATCH_CONFIG"] = nil
        env["NOTIFY_SOCKET"] = nil
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @discardableResult
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill9() }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Where a hub under test keeps its data: SQLite in its temp folder, or a fresh database in a
/// real PostgreSQL server (PostgresCluster).
enum HubBackend {
    case sqlite
    case postgres(PostgresCluster)
}

/// A `flukewatch-hub serve` process on 127.0.0.1 with its own database (see `HubBackend`).
final class HubUnderTest {
    let root: URL
    let backend: HubBackend
    /// The PostgreSQL URL of this hub's database (postgres backend only).
    private(set) var postgresURL: String?
    var db: String { root.appendingPathComponent("hub.sqlite").path }
    /// The `--db PATH` or `--postgres URL` every `flukewatch-hub` command of this hub gets.
    var storageArguments: [String] { postgresURL.map { ["--postgres", $0] } ?? ["--db", db] }
    var logPath: String { root.appendingPathComponent("hub.log").path }
    private(set) var port = 0
    private(set) var process: BackgroundProcess?
    let extraArguments: [String]

    /// `sharing`: a replica on the other hub's PostgreSQL database rather than a fresh one.
    init(_ extraArguments: [String] = [], backend: HubBackend = .sqlite, sharing other: HubUnderTest? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fw-hub-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.extraArguments = extraArguments
        self.backend = backend
        if case .postgres(let cluster) = backend { postgresURL = try other?.postgresURL ?? cluster.createDatabase() }
    }

    /// Every (station, item) the hub stores, as "station/item_id", read straight from its database.
    func items() throws -> [String] {
        switch backend {
        case .sqlite:
            return try DatabaseQueue(path: db).read { try String.fetchAll($0, sql: "SELECT station || '/' || item_id FROM item ORDER BY 1") }
        case .postgres(let cluster):
            return try cluster.psql(PostgresCluster.databaseName(postgresURL!), "SELECT station || '/' || item_id FROM item ORDER BY 1")
        }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the hub (on the same port as before after a restart) and waits until it listens.
    func start() throws {
        let before = (try? String(contentsOfFile: logPath, encoding: .utf8))?.components(separatedBy: "listening on").count ?? 1
        process = try BackgroundProcess("flukewatch-hub", ["serve"] + storageArguments + ["--listen", "127.0.0.1:\(port)"] + extraArguments,
                                        logPath: logPath)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            let parts = log.components(separatedBy: "listening on 127.0.0.1:")
            if parts.count > before, let line = parts.last?.split(separator: " ").first, let p = Int(line) {
                port = p
                return
            }
            if process?.process.isRunning == false { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw NSError(domain: "hub", code: 1, userInfo: [NSLocalizedDescriptionKey: "hub did not start: \(process?.log ?? "")"])
    }

    func kill9() { process?.kill9() }
    func stop() { process?.terminate() }

    /// `flukewatch-hub station|curator add NAME`: the token it printed.
    func addToken(_ role: String, _ name: String) throws -> String {
        let r = try runTool("flukewatch-hub", [role, "add", name] + storageArguments)
        guard r.status == 0 else { throw NSError(domain: "hub", code: 2, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A raw HTTP answer, for asserting on statuses and error bodies.
struct HTTPAnswer {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A tiny HTTP client for tests (AsyncHTTPClient underneath).
final class TestHTTP: Sendable {
    // The process-wide client: XCTest makes an instance per test method, run or not, and a
    // client of one's own would have to be shut down in each.
    var client: HTTPClient { HTTPClient.shared }

    func send(_ method: HTTPMethod, _ url: String, token: String? = nil, body: Data? = nil,
              contentType: String? = "application/json", headers extra: [(String, String)] = []) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (k, v) in extra { request.headers.add(name: k, value: v) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }

    func shutdown() async {}
}
