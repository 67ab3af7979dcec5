import Foundation

/// A finished command: exit status and what it printed.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Running real programs from the tests (the station, the hub, PostgreSQL's tools, Python).
public enum ProcessRun {
    /// Runs `path` to completion and collects its output. `environment`: the whole environment
    /// (nil inherits the test's).
    public static func toCompletion(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> CommandResult
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting: a full pipe would block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                             stderr: String(decoding: e, as: UTF8.self))
    }

    /// The test's environment without the variables that would point a FlukeWatch program at the
    /// machine's own config or database instead of the test's.
    public static func isolatedEnvironment(removing keys: [String] = ["FLUKEWATCH_CONFIG"]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in keys { env[key] = nil }
        return env
    }
}
