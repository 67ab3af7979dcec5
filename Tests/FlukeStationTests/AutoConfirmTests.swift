import FlukeFixtures
import FlukeStore
import Foundation
import GRDB
import XCTest

/// `[review] auto_confirm_above`, through the real pipeline: catalog import, then photos ingested
/// and identified with the int8 model, each sighting confirmed or left for a person as it is recorded.
final class AutoConfirmTests: XCTestCase {
    func testConfidentMatchesAreConfirmedWhenRecordedOnlyOnceThePolicyIsOn() throws {
        let station = try TempStation("auto-confirm")
        var csv = "file,individual,name\n"
        var catalogued: [String] = []
        for individual in 1...3 {
            for shot in 1...3 {
                let path = station.root.appendingPathComponent("catalog/HW\(individual)_\(shot).jpg").path
                try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: UInt64(individual * 7),
                                                            sceneSeed: UInt64(individual * 100 + shot), noise: 2).jpegBytes(),
                                           to: path, style: .direct)
                csv += "\(path),HW-\(individual),Whale \(individual)\n"
                catalogued.append(path)
            }
        }
        let csvPath = station.root.appendingPathComponent("catalog.csv").path
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        let imported = try runFlukeWatch(["catalog", "import", csvPath, "--state-dir", station.state])
        XCTAssertEqual(imported.status, 0, imported.stderr)

        // Fixed thresholds, so the calls do not hang on a nine-photo calibration. Scores are
        // verified: the embedding's cosine plus 0.01 per geometric inlier (at most 0.3).
        // Catalogued bytes score about 1.25 (cosine about 0.95, every inlier); a whale the
        // catalog lacks stays near 1.0 even where the three-whale projection puts it close to
        // one of them.
        let thresholds = "[identification]\nthreshold_new = 0.5\nthreshold_match = 1.1\n"

        // Policy off (no [review] keys, the default): even a certain match waits for a person.
        let plain = station.root.appendingPathComponent("plain.toml").path
        try thresholds.write(toFile: plain, atomically: true, encoding: .utf8)
        let before = station.root.appendingPathComponent("card1").path
        try FileManager.default.createDirectory(atPath: before, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: catalogued[0], toPath: "\(before)/IMG_0001.JPG")
        XCTAssertEqual(try runFlukeWatch(["ingest", before, "--config", plain, "--state-dir", station.state]).status, 0)

        // Policy on: a certain match of HW-2 is confirmed as recorded; a whale the catalog lacks is not.
        let config = station.root.appendingPathComponent("flukewatch.toml").path
        try (thresholds + "[review]\nauto_confirm_above = 1.15\n").write(toFile: config, atomically: true, encoding: .utf8)
        let after = station.root.appendingPathComponent("card2").path
        try FileManager.default.createDirectory(atPath: after, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: catalogued[4], toPath: "\(after)/IMG_0002.JPG")
        try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: 99, sceneSeed: 4242, noise: 2).jpegBytes(),
                                   to: "\(after)/IMG_0003.JPG", style: .direct)
        let ingest = try runFlukeWatch(["ingest", after, "--config", config, "--state-dir", station.state])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)

        let db = try station.database()
        let rows = try db.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, f.path FROM sighting s JOIN photo_file f ON f.photo_sha256 = s.photo_sha256 ORDER BY f.path
                """)
        }
        let byName = Dictionary(uniqueKeysWithValues: rows.map { (($0["path"] as String as NSString).lastPathComponent, $0) })
        XCTAssertEqual(byName.count, 3)
        let off = try XCTUnwrap(byName["IMG_0001.JPG"])
        XCTAssertEqual(off["decision"] as String, "match")
        XCTAssertEqual(off["review_state"] as String, "open", "the policy was off when it was recorded")

        let confirmed = try XCTUnwrap(byName["IMG_0002.JPG"])
        XCTAssertEqual(confirmed["decision"] as String, "match")
        XCTAssertGreaterThan(confirmed["score"] as Double, 1.15)
        XCTAssertEqual(confirmed["review_state"] as String, "confirmed")
        XCTAssertEqual(confirmed["individual_id"] as String?, "HW-2")
        XCTAssertEqual(confirmed["reviewed_by"] as String?, "auto")
        XCTAssertEqual(confirmed["auto_confirmed"] as Bool, true)

        let unknown = try XCTUnwrap(byName["IMG_0003.JPG"])
        XCTAssertEqual(unknown["review_state"] as String, "open")
        XCTAssertNotEqual(unknown["decision"] as String, "match", "a whale outside the catalog")

        // The automatic decision is logged and queued for the hub like a person's.
        let outbox = try db.pool.read { try String.fetchAll($0, sql: "SELECT payload_json FROM sync_outbox") }
        XCTAssertEqual(outbox.count, 1)
        XCTAssertTrue(outbox[0].contains("\"auto_confirmed\":true"), outbox[0])
        XCTAssertTrue(outbox[0].contains("\"reviewer\":\"auto\""), outbox[0])
        let listed = try runFlukeWatch(["review", "list", "--json", "--state-dir", station.state])
        XCTAssertEqual(listed.lines.count, 2, listed.stdout)
    }
}
