import FlukeTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real, throwaway PostgreSQL server for the hub's tests: `initdb` into a temp folder, then
/// `postgres` on a free port, listening on 127.0.0.1 and on a unix socket in the same folder.
///
/// PostgreSQL refuses to run as root, and CI runs the tests as root, so there the server's
/// commands run as the unprivileged `nobody` through `setpriv` (util-linux), which owns the
/// cluster's folder. Missing binaries fail the test with what to run; they never skip it.
///
/// The server runs as our direct child rather than daemonized by `pg_ctl start`: Foundation's
/// Process waits until every inheritor of its bookkeeping descriptors is gone, and a daemon
/// would keep them for ever. setpriv execs (no fork), so signals reach `postgres` itself.
final class PostgresCluster: @unchecked Sendable {
    let root: URL
    let port: Int
    let bin: String
    var dataDir: String { root.appendingPathComponent("data").path }
    var socketDir: String { root.path }
    var logPath: String { root.appendingPathComponent("server.log").path }
    static let user = "flukewatch"
    private let runAsPrefix: [String]

    /// One server for the whole test process (created on first use, stopped at exit);
    /// each hub under test gets its own database in it.
    static func shared() throws -> PostgresCluster {
        try sharedCluster.get()
    }
    private static let sharedCluster = Result { try PostgresCluster() }

    init() throws {
        bin = try Self.findBinaries()
        root = URL(fileURLWithPath: "/tmp/fw-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if getuid() == 0 {
            // `nobody` must own the folder (initdb, the socket, the log) and nothing more.
            runAsPrefix = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
            guard FileManager.default.isExecutableFile(atPath: runAsPrefix[0]) else {
                throw ClusterError("running as root, the tests start PostgreSQL as `nobody` with setpriv, which is missing: run scripts/setup.sh (util-linux)")
            }
            let owner = try runProcess("/usr/bin/chown", ["nobody", root.path])
            guard owner.status == 0 else { throw ClusterError("chown nobody \(root.path) failed: \(owner.stderr)") }
        } else {
            runAsPrefix = []
        }
        port = try Self.freePort()
        // --no-sync and fsync=off: the tests kill processes, not the power, and the OS keeps
        // whatever a killed server wrote; a real deployment keeps fsync on.
        try pg("initdb", ["-D", dataDir, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--no-sync"])
        try start()
        Self.registerForExit(self)
    }

    private var server: Process?

    /// Starts the server and waits until it accepts connections.
    func start() throws {
        let command = runAsPrefix + ["\(bin)/postgres", "-D", dataDir, "-p", "\(port)", "-k", socketDir,
                                     "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]
        if !FileManager.default.fileExists(atPath: logPath) { try Data().write(to: URL(fileURLWithPath: logPath)) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.currentDirectoryURL = root
        p.standardOutput = log
        p.standardError = log
        try p.run()
        try? log.close()
        server = p
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try runProcess("\(bin)/pg_isready", ["-q", "-h", socketDir, "-p", "\(port)"]).status == 0 { return }
            guard p.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let tail = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
        throw ClusterError("PostgreSQL did not start on port \(port): \(tail)")
    }

    /// Stops the server: `immediate` is a crash (SIGQUIT: no checkpoint, recovery at the next
    /// start), otherwise a fast shutdown (SIGINT: sessions ended, a checkpoint written).
    func stop(immediate: Bool = false) throws {
        guard let p = server, p.isRunning else { return }
        kill(p.processIdentifier, immediate ? SIGQUIT : SIGINT)
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        server = nil
    }

    /// A fresh, empty database and the URL the hub connects with (TCP, the way replicas would).
    func createDatabase() throws -> String {
        let name = "fw_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try psql("postgres", "CREATE DATABASE \(name)")
        return "postgres://\(Self.user)@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// Rows of `sql` in `database`, one string per row (columns joined by '|').
    func psql(_ database: String, _ sql: String) throws -> [String] {
        let r = try runProcess("\(bin)/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", "\(port)",
                                               "-U", Self.user, "-d", database, "-c", sql])
        guard r.status == 0 else { throw ClusterError("psql \(database): \(sql): \(r.stderr)") }
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// The database name of a URL from `createDatabase`.
    static func databaseName(_ url: String) -> String {
        String(url.split(separator: "/").last!.split(separator: "?").first!)
    }

    private func pg(_ tool: String, _ arguments: [String]) throws {
        let command = runAsPrefix + ["\(bin)/\(tool)"] + arguments
        // Output to a file, not a pipe: the server pg_ctl starts inherits the pipe's write end
        // and would hold it open, so reading a pipe to its end would never return.
        let outPath = root.appendingPathComponent("\(tool).out").path
        try Data().write(to: URL(fileURLWithPath: outPath))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        defer { try? out.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.currentDirectoryURL = root
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw ClusterError("\(tool) failed (\(p.terminationStatus)): \(output)\n\(log)")
        }
    }

    static func findBinaries() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/initdb")
            && FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/pg_ctl") {
            return "\(base)/\(v)/bin"
        }
        throw ClusterError("PostgreSQL is not installed (no \(base)/*/bin/initdb and pg_ctl): run scripts/setup.sh, which installs Debian's postgresql package")
    }

    /// A port nobody listens on now: bind port 0 and read back what the kernel chose.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("socket(): \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ClusterError("cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Stopped at exit, so no server outlives the test run.

    nonisolated(unsafe) private static var running: [PostgresCluster] = []
    private static let lock = NSLock()

    private static func registerForExit(_ cluster: PostgresCluster) {
        lock.lock()
        defer { lock.unlock() }
        if running.isEmpty { atexit { PostgresCluster.stopAll() } }
        running.append(cluster)
    }

    private static func stopAll() {
        lock.lock()
        let clusters = running
        running = []
        lock.unlock()
        for cluster in clusters {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(at: cluster.root)
        }
    }
}

struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program (by path) to completion.
func runProcess(_ path: String, _ arguments: [String]) throws -> CommandResult {
    try ProcessRun.toCompletion(path, arguments)
}
