import FlukeTestSupport
import Foundation
import XCTest

/// The `flukewatch` binary built beside the test bundle (the test target depends on it).
enum FlukeWatchBinary {
    static var path: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var dir = testBinary.deletingLastPathComponent()
        // On Linux the test runner is `.build/<config>/FlukeWatchPackageTests.xctest`.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("flukewatch").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent("flukewatch").path
    }
}


/// Runs flukewatch to completion.
func runFlukeWatch(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    try ProcessRun.toCompletion(FlukeWatchBinary.path, arguments,
                                environment: ProcessRun.isolatedEnvironment().merging(environment) { $1 })
}

/// A `flukewatch run` daemon process whose log goes to a file.
final class DaemonProcess {
    let process = Process()
    let logPath: String

    init(arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        XCTAssertTrue(FileManager.default.createFile(atPath: logPath, contents: nil))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: FlukeWatchBinary.path)
        process.arguments = ["run"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["FLUKEWATCH_CONFIG"] = nil
        env["NOTIFY_SOCKET"] = nil
        env["WATCHDOG_USEC"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait; returns the exit status. The signal waits for the "ready" line first: the
    /// daemon traps SIGTERM only once its services start, and a test that acts on an earlier line
    /// (a warning logged while the daemon opens its catalog) would otherwise kill it outright.
    func terminate(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, !logTail(Int.max).contains("station ready"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(pid, SIGTERM)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill9(); return nil }
        return process.terminationStatus
    }

    func logTail(_ lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
