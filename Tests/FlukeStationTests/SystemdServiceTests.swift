import Foundation
import XCTest

/// The system test: FlukeWatch installed under a real systemd booted as PID 1 in private
/// namespaces (Tests/system/flukewatch-under-systemd.sh): start, sightings in the journal,
/// watchdog restart of a frozen worker, SIGTERM mid-batch, SIGHUP with a new drop folder.
final class SystemdServiceTests: XCTestCase {
    func testFlukeWatchUnderARealSystemd() throws {
        guard getuid() == 0 else {
            return XCTFail("the systemd system test boots systemd in namespaces and must run as root (CI does); run `sudo bash scripts/test.sh`")
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repo.appendingPathComponent("Tests/system/flukewatch-under-systemd.sh").path, FlukeWatchBinary.path]
        let output = repo.appendingPathComponent(".build/systemd-system-test.log")
        XCTAssertTrue(FileManager.default.createFile(atPath: output.path, contents: nil))
        let log = try FileHandle(forWritingTo: output)
        p.standardOutput = log
        p.standardError = log
        try p.run()
        let deadline = Date().addingTimeInterval(600)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if p.isRunning { p.terminate(); p.waitUntilExit() }
        try log.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let steps = text.split(separator: "\n").filter { $0.hasPrefix("== ") || $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }
        print(steps.joined(separator: "\n"))
        XCTAssertEqual(p.terminationStatus, 0, String(text.suffix(6000)))
        XCTAssertTrue(text.contains("PASS: flukewatch under a real systemd"), String(text.suffix(3000)))
    }
}
