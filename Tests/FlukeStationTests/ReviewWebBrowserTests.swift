import FlukeFixtures
import FlukeStore
import Foundation
import GRDB
import XCTest

/// The review page in a real browser: photos identified by the real int8 model, the page served
/// by `flukewatch review serve` on 127.0.0.1, headless Chromium driven by Tests/browser/review_page.py
/// over the DevTools pipe. A reviewer logs in, confirms one sighting with the keyboard, marks
/// one as a new individual, undoes it and marks it again; the database must say exactly that.
final class ReviewWebBrowserTests: XCTestCase {
    static let token = "correct horse battery"

    /// Chromium from Debian's package (scripts/setup.sh installs it).
    static func chromium() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for dir in path.split(separator: ":") + ["/usr/bin"] {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    /// Where screenshots go: .build/test-artifacts/ beside the test binary's build folder.
    static func artifacts() throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        while dir.path != "/", dir.lastPathComponent != ".build", !dir.lastPathComponent.hasPrefix(".build") {
            dir = dir.deletingLastPathComponent()
        }
        let out = dir.path == "/" ? FileManager.default.temporaryDirectory.appendingPathComponent("flukewatch-test-artifacts")
                                  : dir.appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        return out.path
    }

    /// A station with a catalog of four whales and a card of six photos identified with the model:
    /// two catalogued photos again (matches), two new scenes of catalogued whales, two whales
    /// the catalog lacks.
    func identifiedStation() throws -> (TempStation, config: String) {
        let station = try TempStation("web-browser")
        var csv = "file,individual,name\n"
        let names = ["Salt", "Pepper", "Nutmeg", "Clove"]
        var catalogued: [String] = []
        for individual in 1...4 {
            for shot in 1...3 {
                let path = station.root.appendingPathComponent("catalog/HW\(individual)_\(shot).jpg").path
                try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: UInt64(individual * 7),
                                                            sceneSeed: UInt64(individual * 100 + shot), noise: 2,
                                                            exif: FixturePhoto.cameraEXIF(index: individual * 10 + shot)).jpegBytes(),
                                           to: path, style: .direct)
                csv += "\(path),HW-\(individual),\(names[individual - 1])\n"
                catalogued.append(path)
            }
        }
        let csvPath = station.root.appendingPathComponent("catalog.csv").path
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        let config = station.root.appendingPathComponent("flukewatch.toml").path
        // Fixed thresholds so a twelve-photo calibration does not decide what the queue holds.
        try """
            [station]
            id = "boat"
            name = "RV Humpback"
            [identification]
            threshold_new = 0.5
            threshold_match = 0.9
            [review]
            web_token = "\(Self.token)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let imported = try runFlukeWatch(["catalog", "import", csvPath, "--config", config, "--state-dir", station.state])
        XCTAssertEqual(imported.status, 0, imported.stderr)

        let card = station.root.appendingPathComponent("card").path
        try FileManager.default.createDirectory(atPath: card, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: catalogued[1], toPath: "\(card)/IMG_0001.JPG")
        try FileManager.default.copyItem(atPath: catalogued[7], toPath: "\(card)/IMG_0002.JPG")
        for (n, (individual, scene)) in [(2, 977), (3, 978), (41, 979), (43, 980)].enumerated() {
            try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: UInt64(individual * 7),
                                                        sceneSeed: UInt64(scene), noise: 2,
                                                        exif: FixturePhoto.cameraEXIF(index: 60 + n)).jpegBytes(),
                                       to: "\(card)/IMG_00\(n + 3).JPG", style: .direct)
        }
        let ingest = try runFlukeWatch(["ingest", card, "--camera", "bow", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        return (station, config)
    }

    func testAReviewerConfirmsAndMarksNewWithTheKeyboardInHeadlessChromium() throws {
        guard let chromium = Self.chromium() else {
            return XCTFail("Chromium is not installed: run `bash scripts/setup.sh` (it installs Debian's chromium for this test)")
        }
        let (station, config) = try identifiedStation()
        let database = try station.database()
        let open = try database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sighting WHERE review_state = 'open'") }
        XCTAssertEqual(open, 6, "six photos identified and waiting for review")

        let server = try ReviewServer(arguments: ["--config", config, "--state-dir", station.state])
        defer { _ = server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("browser/review_page.py").path
        let shots = try Self.artifacts()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, chromium, server.url, "Ana Souza", Self.token, shots]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "the browser script failed:\n\(stderr)")
        let seen = try XCTUnwrap(try JSONSerialization.jsonObject(with: stdout) as? [String: Any], stderr)
        print("review page screenshot: \(seen["screenshot"] ?? "none") (also \(seen["screenshot_after"] ?? ""), \(seen["catalog_screenshot"] ?? ""))")

        // What the page showed: shortcuts, the photo and its candidates in frames of one size, all loaded.
        let shortcuts = try XCTUnwrap(seen["shortcuts_shown"] as? String)
        for key in ["Enter", "N", "R", "U", "J", "K"] { XCTAssertTrue(shortcuts.contains(key), shortcuts) }
        let boxes = try XCTUnwrap(seen["photo_boxes"] as? [[Int]])
        XCTAssertGreaterThanOrEqual(boxes.count, 3, "the photo and at least two candidates")
        XCTAssertEqual(Set(boxes.map { "\($0)" }).count, 1, "every frame the same size: \(boxes)")
        XCTAssertGreaterThanOrEqual(boxes[0][0], 180, "large enough to compare flukes on a 13-inch screen")
        XCTAssertEqual(seen["images_loaded"] as? Int, boxes.count)
        // The photo was shown as its fluke crop, cut from the original in the drop folder and kept.
        let crops = FileManager.default.enumerator(atPath: "\(station.state)/crops")?.allObjects.compactMap { $0 as? String } ?? []
        XCTAssertTrue(crops.contains { $0.hasSuffix(".jpg") && !$0.hasPrefix("catalog") }, "no sighting crop was made: \(crops)")
        XCTAssertTrue(crops.contains { $0.hasPrefix("catalog/") && $0.hasSuffix(".jpg") }, "no catalog crop was made: \(crops)")
        let png = try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(seen["screenshot"] as? String)))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

        // Confirmed by "2" then Enter: the second candidate, by this reviewer.
        let confirmed = try XCTUnwrap(seen["confirmed"] as? [String: Any])
        let first = Int64(try XCTUnwrap(confirmed["sighting"] as? Int))
        let picked = try XCTUnwrap(confirmed["individual"] as? String)
        let row = try database.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM sighting WHERE id = ?", arguments: [first])! }
        let candidates = try JSONSerialization.jsonObject(with: Data((row["candidates_json"] as String).utf8)) as! [[String: Any]]
        XCTAssertEqual(picked, candidates[1]["individual"] as? String, "key 2 picks the second candidate")
        XCTAssertEqual(row["review_state"] as String, "confirmed")
        XCTAssertEqual(row["individual_id"] as String?, picked)
        XCTAssertEqual(row["reviewed_by"] as String?, "Ana Souza")
        XCTAssertTrue((seen["flash_after_confirm"] as? String)?.contains("#\(first)") == true, "\(seen)")

        // N, U, N: the first provisional id is spent by the undone decision, never reused.
        let new = Int64(try XCTUnwrap(seen["new"] as? Int))
        XCTAssertNotEqual(new, first)
        XCTAssertEqual(seen["after_undo_page"] as? Int, Int(new))
        XCTAssertTrue((seen["flash_after_undo"] as? String)?.contains("undone") == true, "\(seen)")
        let newRow = try database.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM sighting WHERE id = ?", arguments: [new])! }
        XCTAssertEqual(newRow["review_state"] as String, "confirmed")
        XCTAssertEqual(newRow["individual_id"] as String?, "P-boat-0002")
        let actions = try database.pool.read {
            try String.fetchAll($0, sql: "SELECT action FROM review_decision WHERE sighting_id = ? ORDER BY id", arguments: [new])
        }
        XCTAssertEqual(actions, ["new-individual", "undo", "new-individual"])
        let individuals = try database.pool.read { try String.fetchAll($0, sql: "SELECT id FROM individual WHERE is_provisional ORDER BY id") }
        XCTAssertEqual(individuals, ["P-boat-0002"], "the undone provisional individual is gone")
        let outbox = try database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sync_outbox WHERE kind = 'review-decision'") }
        XCTAssertEqual(outbox, 4, "every decision and the undo queued for the hub")
        XCTAssertTrue((seen["catalog_text"] as? String)?.contains("P-boat-0002") == true, "the catalog lists the new individual")
    }
}
