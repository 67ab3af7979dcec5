import FlukeFixtures
import FlukeStore
import FlukeVision
import Foundation
import XCTest

/// The real binary, as an operator or a script calls it.
final class CommandLineTests: XCTestCase {
    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testIngestThenStatusPhotosAndSightingsAsJSON() throws {
        let station = try TempStation("cli")
        let card = station.root.appendingPathComponent("card/DCIM/100CANON").path
        for i in 0..<4 { try DropFolderWriter.write(try fixtureJPEG(i), to: "\(card)/IMG_\(i).JPG", style: .direct) }
        try DropFolderWriter.write(try fixtureJPEG(0), to: "\(card)/again.jpg", style: .direct)
        try DropFolderWriter.write(DamagedFile.text(), to: "\(card)/readme.jpg", style: .direct)
        try DropFolderWriter.write([1, 2, 3, 4], to: "\(card)/IMG_1.CR2", style: .direct)

        let ingest = try runFlukeWatch(["ingest", station.root.appendingPathComponent("card").path, "--state-dir", station.state,
                                        "--camera", "hand-card", "--json"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let summary = try json(try XCTUnwrap(ingest.lines.last))
        XCTAssertEqual(summary["queued"] as? Int, 4)
        XCTAssertEqual(summary["duplicates"] as? Int, 1)
        XCTAssertEqual(summary["quarantined"] as? Int, 1)
        XCTAssertEqual(summary["sidecars"] as? Int, 1)
        XCTAssertEqual(summary["processed"] as? Int, 4)

        let status = try runFlukeWatch(["status", "--json", "--state-dir", station.state])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertEqual(status.lines.count, 1)
        let s = try json(status.lines[0])
        let photos = try XCTUnwrap(s["photos"] as? [String: Int])
        XCTAssertEqual(photos, ["total": 5, "queued": 0, "processing": 0, "done": 4, "failed": 0, "quarantined": 1, "duplicates": 1])
        XCTAssertEqual(s["sightings"] as? Int, 4)

        let quarantined = try runFlukeWatch(["photos", "--json", "--status", "quarantined", "--state-dir", station.state])
        XCTAssertEqual(quarantined.lines.count, 1)
        XCTAssertEqual(try json(quarantined.lines[0])["quarantine_code"] as? String, "not-an-image")

        let all = try runFlukeWatch(["sightings", "--json", "--state-dir", station.state])
        XCTAssertEqual(all.lines.count, 4)
        for line in all.lines {
            let row = try json(line)
            XCTAssertEqual(row["decision"] as? String, "awaiting-identification")
            XCTAssertEqual(row["camera"] as? String, "hand-card")
        }
        // Fixture i was taken at 09:00:0i-03:00; --since keeps the last two.
        let since = try runFlukeWatch(["sightings", "--json", "--since", "2026-07-14T09:00:02-03:00", "--state-dir", station.state])
        XCTAssertEqual(since.lines.count, 2, since.stdout + since.stderr)

        // Ingesting the same card again records nothing new.
        let again = try runFlukeWatch(["ingest", card, "--state-dir", station.state, "--json"])
        let summary2 = try json(try XCTUnwrap(again.lines.last))
        XCTAssertEqual(summary2["queued"] as? Int, 0)
        XCTAssertEqual(summary2["already_recorded"] as? Int, 7)
    }

    /// The binary does not link OpenCV's imgcodecs (it is opened on the first non-JPEG photo, to
    /// save the daemon ~48 MB): PNG and TIFF photos must still be decoded and processed.
    func testPNGAndTIFFPhotosAreProcessedThroughTheLazilyLoadedCodecs() throws {
        let station = try TempStation("cli-lossless")
        let card = station.root.appendingPathComponent("card").path
        let image = try PhotoDecoder.decode(try fixtureJPEG(7))
        try DropFolderWriter.write(try image.losslessData(.png), to: "\(card)/scan.png", style: .direct)
        try DropFolderWriter.write(try image.losslessData(.tiff), to: "\(card)/scan.tif", style: .direct)
        let ingest = try runFlukeWatch(["ingest", card, "--state-dir", station.state, "--json"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let summary = try json(try XCTUnwrap(ingest.lines.last))
        XCTAssertEqual(summary["processed"] as? Int, 2, ingest.stdout + ingest.stderr)
        XCTAssertEqual(summary["quarantined"] as? Int, 0, ingest.stdout + ingest.stderr)
        let photos = try runFlukeWatch(["photos", "--json", "--state-dir", station.state])
        XCTAssertEqual(Set(try photos.lines.map { try json($0)["state"] as? String }), ["done"])
    }

    func testBadConfigFailsAtStartNamingFileLineAndKey() throws {
        let station = try TempStation("badcfg")
        let config = station.root.appendingPathComponent("flukewatch.toml").path
        try """
            [station]
            id = "boat"

            [[drop_folder]]
            path = "\(station.drop)"
            recursiv = true
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try runFlukeWatch(["run", "--config", config])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("\(config):6: drop_folder.recursiv: unknown key"), r.stderr)
        // The same through $FLUKEWATCH_CONFIG.
        let viaEnv = try runFlukeWatch(["status"], environment: ["FLUKEWATCH_CONFIG": config])
        XCTAssertTrue(viaEnv.stderr.contains("\(config):6:"), viaEnv.stderr)
    }

    func testRunWithoutDropFoldersSaysWhatToDo() throws {
        let station = try TempStation("nofolders")
        let r = try runFlukeWatch(["run", "--state-dir", station.state])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--watch"), r.stderr)
    }

    func testDaemonStopsCleanlyOnSIGTERM() throws {
        let station = try TempStation("sigterm")
        let daemon = try DaemonProcess(arguments: ["--state-dir", station.state, "--watch", "\(station.drop)=cam"],
                                       logPath: station.root.appendingPathComponent("daemon.log").path)
        waitUntil(timeout: 20, "the daemon to report ready") {
            (try? String(contentsOfFile: daemon.logPath, encoding: .utf8))?.contains("station ready") == true
        }
        try DropFolderWriter.write(try fixtureJPEG(1), to: "\(station.drop)/a.jpg", style: .direct)
        let queries = try station.database()
        waitUntil(timeout: 20, "the photo to be processed") {
            (try? StationQueries(database: queries).status().photos.done) == 1
        }
        XCTAssertEqual(daemon.terminate(), 0, daemon.logTail())
        XCTAssertTrue(daemon.logTail().contains("stopped cleanly"), daemon.logTail())
    }
}

