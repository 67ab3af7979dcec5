import FlukeFixtures
import FlukeStore
import Foundation
import XCTest

/// The notify protocol as the real binary speaks it, against a real notify socket: READY only
/// once armed, STATUS kept current, WATCHDOG only while the pipeline moves, RELOADING on SIGHUP
/// (with a new drop folder picked up), STOPPING on SIGTERM.
final class SystemdProtocolTests: XCTestCase {
    func testNotifyWatchdogReloadAndStop() throws {
        let station = try TempStation("notify")
        let socket = try NotifySocket(directory: station.root)
        defer { socket.close() }
        let stern = station.root.appendingPathComponent("stern").path
        try FileManager.default.createDirectory(atPath: stern, withIntermediateDirectories: true)
        let config = station.root.appendingPathComponent("flukewatch.toml").path
        func writeConfig(_ folders: [(String, String)]) throws {
            var text = "[storage]\nstate_dir = \"\(station.state)\"\n[intake]\nsettle_seconds = 0.3\n[processing]\nworkers = 2\n"
            for (path, camera) in folders { text += "[[drop_folder]]\npath = \"\(path)\"\ncamera = \"\(camera)\"\n" }
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try writeConfig([(station.drop, "bow")])

        let daemon = try DaemonProcess(arguments: ["--config", config], logPath: station.root.appendingPathComponent("daemon.log").path,
                                       environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1500000",
                                                     "FLUKEWATCH_TEST_HANG_ON": "HANG"])
        defer { if daemon.process.isRunning { daemon.kill9() } }

        waitUntil(timeout: 20, "READY=1") { socket.count(containing: "READY=1") == 1 }
        XCTAssertNotNil(socket.lastStatus()?.range(of: "queue 0"), socket.lastStatus() ?? "no STATUS")
        waitUntil(timeout: 5, "watchdog pings") { socket.count(containing: "WATCHDOG=1") >= 2 }

        // SIGHUP after adding a drop folder to the config: RELOADING=1, READY=1, and the folder is watched.
        try writeConfig([(station.drop, "bow"), (stern, "stern")])
        kill(daemon.pid, SIGHUP)
        waitUntil(timeout: 10, "RELOADING=1 then READY=1") {
            socket.count(containing: "RELOADING=1") == 1 && socket.count(containing: "READY=1") == 2
        }
        try DropFolderWriter.write(try fixtureJPEG(1), to: "\(stern)/after-reload.jpg", style: .direct)
        let db = try station.database()
        waitUntil(timeout: 20, "the new folder's photo processed") {
            (try? StationQueries(database: db).photos(state: .done).map(\.camera)) == ["stern"]
        }
        waitUntil(timeout: 10, "STATUS to show the sighting") { socket.lastStatus()?.contains("done 1") == true }

        // A photo that hangs its worker: the pings stop (systemd would restart the station).
        try DropFolderWriter.write(try fixtureJPEG(2), to: "\(station.drop)/HANG-decoder.jpg", style: .direct)
        waitUntil(timeout: 20, "the pipeline-stuck report") { daemon.logTail(200).contains("pipeline stuck") }
        let stuckAt = Date()
        Thread.sleep(forTimeInterval: 2.0)   // longer than the 1.5 s watchdog timeout: no ping may come
        XCTAssertEqual(socket.count(containing: "WATCHDOG=1", since: stuckAt), 0, daemon.logTail())

        // SIGTERM: STOPPING=1 is announced at once (the hung worker then keeps it from finishing).
        kill(daemon.pid, SIGTERM)
        waitUntil(timeout: 10, "STOPPING=1") { socket.count(containing: "STOPPING=1") == 1 }
        daemon.kill9()
        // The hung photo is still `processing`; the next start re-queues it.
        XCTAssertEqual(try StationQueries(database: db).status().photos.processing, 1)
    }

    func testCleanStopSendsStoppingAndExitsZero() throws {
        let station = try TempStation("stopping")
        let socket = try NotifySocket(directory: station.root)
        defer { socket.close() }
        let daemon = try DaemonProcess(arguments: ["--state-dir", station.state, "--watch", "\(station.drop)=cam"],
                                       logPath: station.root.appendingPathComponent("daemon.log").path,
                                       environment: ["NOTIFY_SOCKET": socket.path])
        waitUntil(timeout: 20, "READY=1") { socket.count(containing: "READY=1") == 1 }
        XCTAssertEqual(socket.count(containing: "WATCHDOG=1"), 0, "no watchdog configured, no pings")
        XCTAssertEqual(daemon.terminate(), 0, daemon.logTail())
        XCTAssertEqual(socket.count(containing: "STOPPING=1"), 1)
    }
}
