import FlukeStation
import Foundation
import XCTest

/// One daemon per state directory: a second one is refused with the first one's pid, a killed
/// one never blocks the next start, and `catalog prune --vacuum` waits for a stopped daemon.
final class StateDirectoryLockTests: XCTestCase {
    func daemonInStatus(_ station: TempStation) throws -> NSDictionary {
        let r = try runFlukeWatch(["status", "--json", "--state-dir", station.state])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        return try XCTUnwrap(json["daemon"] as? NSDictionary, r.stdout)
    }

    func testTheLockIsExclusiveAndReleasedOnRequest() throws {
        let station = try TempStation("lock-unit")
        try FileManager.default.createDirectory(atPath: station.state, withIntermediateDirectories: true)
        let first = try StateDirectoryLock.acquire(stateDirectory: station.state)
        XCTAssertEqual(StateDirectoryLock.holder(stateDirectory: station.state), .daemon(pid: getpid()))
        XCTAssertThrowsError(try StateDirectoryLock.acquire(stateDirectory: station.state, patience: 0.2)) { error in
            XCTAssertEqual(error as? StateDirectoryLockError, .held(stateDirectory: station.state, pid: getpid()))
        }
        first.release()
        first.release()
        XCTAssertEqual(StateDirectoryLock.holder(stateDirectory: station.state), .none)
        let second = try StateDirectoryLock.acquire(stateDirectory: station.state)
        second.release()
    }

    func testASecondDaemonIsRefusedAndAKilledOneBlocksNothing() throws {
        let station = try TempStation("lock-daemons")
        let args = ["--state-dir", station.state, "--watch", "\(station.drop)=cam"]
        let first = try DaemonProcess(arguments: args, logPath: station.root.appendingPathComponent("first.log").path)
        defer { if first.process.isRunning { first.kill9() } }
        waitUntil(timeout: 30, "the first daemon ready") { first.logTail(100).contains("station ready") }

        let second = try DaemonProcess(arguments: args, logPath: station.root.appendingPathComponent("second.log").path)
        defer { if second.process.isRunning { second.kill9() } }
        waitUntil(timeout: 30, "the second daemon to give up") { !second.process.isRunning }
        XCTAssertNotEqual(second.process.terminationStatus, 0)
        XCTAssertTrue(second.logTail().contains("another FlukeWatch daemon (pid \(first.pid)) is running on the state directory \(station.state)"),
                      second.logTail())
        XCTAssertTrue(first.process.isRunning, "the refused daemon leaves the running one alone")

        XCTAssertEqual(try daemonInStatus(station), ["running": true, "pid": Int(first.pid)] as NSDictionary)

        let vacuum = try runFlukeWatch(["catalog", "prune", "--vacuum", "--state-dir", station.state])
        XCTAssertNotEqual(vacuum.status, 0)
        XCTAssertTrue(vacuum.stderr.contains("(pid \(first.pid))") && vacuum.stderr.contains("--vacuum needs it stopped"), vacuum.stderr)
        XCTAssertEqual(try runFlukeWatch(["catalog", "prune", "--state-dir", station.state]).status, 0, "pruning alone may run beside it")

        // SIGKILL leaves the lock file with a dead pid in it; the kernel has dropped the lock.
        first.kill9()
        XCTAssertEqual(try daemonInStatus(station), ["running": false, "pid": NSNull()] as NSDictionary,
                       "the file still names the dead pid; status reads the lock, not the file")
        let third = try DaemonProcess(arguments: args, logPath: station.root.appendingPathComponent("third.log").path)
        defer { if third.process.isRunning { third.kill9() } }
        waitUntil(timeout: 30, "the restarted daemon ready") { third.logTail(100).contains("station ready") }
        XCTAssertEqual(third.terminate(), 0, third.logTail())
        XCTAssertEqual(try runFlukeWatch(["catalog", "prune", "--vacuum", "--state-dir", station.state]).status, 0,
                       "a stopped daemon lets --vacuum run")
    }
}
