import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation
import GRDB
import XCTest

/// Catalog import, identify and the daemon's identification, with the real int8 model on
/// synthetic individuals (same markings, different scenes).
final class IdentificationTests: XCTestCase {
    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func makeCatalog(in dir: URL) throws -> (csv: String, photos: [(path: String, individual: String)]) {
        try makeSyntheticCatalog(in: dir)
    }

    func testCatalogImportIsIdempotentAndIdentifyFindsCataloguedPhotos() throws {
        let station = try TempStation("catalog")
        let (csv, photos) = try makeCatalog(in: station.root)
        let first = try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try json(try XCTUnwrap(first.lines.last))
        XCTAssertEqual(summary["added"] as? Int, 20)
        XCTAssertEqual(summary["individuals"] as? Int, 5)
        // Each catalog photo's SIFT features are kept for geometric verification.
        XCTAssertEqual(try station.database().pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM local_features") }, 20)
        let skipped = try XCTUnwrap(summary["skipped"] as? [String])
        XCTAssertEqual(skipped.count, 1)
        XCTAssertTrue(skipped[0].contains("catalog.csv:line 22"), skipped[0])
        XCTAssertNotNil(summary["threshold_new"] as? Double)

        let again = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state, "--json"]).lines.last))
        XCTAssertEqual(again["added"] as? Int, 0)
        XCTAssertEqual(again["already_present"] as? Int, 20)

        let stats = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--state-dir", station.state]).lines.last))
        XCTAssertEqual(stats["photos"] as? Int, 20)
        XCTAssertEqual(stats["individuals"] as? Int, 5)
        XCTAssertEqual(stats["fitted"] as? Bool, true)
        let tNew = try XCTUnwrap(stats["threshold_new"] as? Double), tMatch = try XCTUnwrap(stats["threshold_match"] as? Double)
        XCTAssertLessThanOrEqual(tNew, tMatch)

        // A catalogued photo is its own best match; an unreadable file gives an error line and the run goes on.
        let r = try runFlukeWatch(["identify", photos[5].path, "/etc/hostname", photos[13].path, "--json", "--top", "3",
                                   "--state-dir", station.state])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.lines.count, 3)
        for (line, expected) in [(r.lines[0], photos[5].individual), (r.lines[2], photos[13].individual)] {
            let row = try json(line)
            XCTAssertEqual(row["decision"] as? String, "match", line)
            let candidates = try XCTUnwrap(row["candidates"] as? [[String: Any]])
            XCTAssertEqual(candidates.count, 3)
            XCTAssertEqual(candidates[0]["individual"] as? String, expected)
            XCTAssertGreaterThan(try XCTUnwrap(candidates[0]["score"] as? Double), 0.9)   // photo and centroid scores combined
        }
        let bad = try json(r.lines[1])
        XCTAssertEqual(bad["file"] as? String, "/etc/hostname")
        XCTAssertNotNil(bad["error"] as? String)
    }

    func testTheDaemonIdentifiesAgainstTheCatalogAndRecordsTheModel() throws {
        let station = try TempStation("daemon-id")
        let (csv, photos) = try makeCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        let daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        // The same bytes as a catalogued photo, dropped by a camera: a certain match.
        try DropFolderWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: photos[9].path))),
                                   to: "\(station.drop)/IMG_9000.JPG", style: .direct)
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 30, "the sighting") { try queries.status().sightings == 1 }
        let sighting = try XCTUnwrap(try queries.sightings().first)
        XCTAssertEqual(sighting.decision, "match")
        XCTAssertEqual(sighting.individual, photos[9].individual)
        XCTAssertGreaterThan(try XCTUnwrap(sighting.score), 0.9)
        XCTAssertTrue(sighting.modelVersion?.hasPrefix("efficientnet-lite0-int8-") == true)
        XCTAssertTrue(sighting.modelVersion?.hasSuffix(MatchingRecipe.station.featureVersionSuffix) == true,
                      "tagged with the station's views too: \(sighting.modelVersion ?? "")")
        // The fluke as identified is kept for the review page and the hub, in the thumbnails' 4:3 frame.
        let sha = try XCTUnwrap(try daemon.daemon.database.pool.read { try String.fetchOne($0, sql: "SELECT photo_sha256 FROM sighting") })
        let crop = try PhotoDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath:
            "\(station.state)/\(StateDirectoryLayout.flukeCrop(sha256: sha))"))))
        XCTAssertEqual([crop.width, crop.height], [320, 240])
    }

    /// A blank, blurred frame is neither a new whale nor a match (against this catalog it lands
    /// close to one whale): the usefulness rules leave it to a person, on the command line and in
    /// the daemon, and say why.
    func testAnUnusablePhotoIsNeverCalledNew() throws {
        let station = try TempStation("usefulness")
        let (csv, _) = try makeCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        let stats = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--state-dir", station.state]).lines.last))
        let tNew = try XCTUnwrap(stats["threshold_new"] as? Double)

        // Sea-grey with a faint swell: no fluke, no detail.
        var pixels = [UInt8](repeating: 0, count: 640 * 480 * 3)
        for y in 0..<480 { for x in 0..<640 { for c in 0..<3 { pixels[(y * 640 + x) * 3 + c] = UInt8(110 + c * 8 + (y / 60)) } } }
        let blank = station.root.appendingPathComponent("blank.jpg").path
        try Data(try DecodedImage(bgr: pixels, width: 640, height: 480).jpegData(quality: 90)).write(to: URL(fileURLWithPath: blank))
        let stranger = station.root.appendingPathComponent("stranger.jpg").path
        try Data(try FixturePhoto(width: 640, height: 480, individualSeed: 4242, sceneSeed: 77, noise: 2).jpegBytes())
            .write(to: URL(fileURLWithPath: stranger))

        let gated = try runFlukeWatch(["identify", blank, stranger, "--json", "--state-dir", station.state])
        XCTAssertEqual(gated.status, 0, gated.stderr)
        let blankRow = try json(gated.lines[0]), strangerRow = try json(gated.lines[1])
        XCTAssertEqual(blankRow["decision"] as? String, "uncertain", gated.lines[0])
        let why = try XCTUnwrap(blankRow["unusable_because"] as? [String]).joined(separator: "; ")
        XCTAssertTrue(why.contains("no fluke found") && why.contains("blurred"), why)
        XCTAssertLessThan(try XCTUnwrap(blankRow["usefulness"] as? Double), 0.5)
        XCTAssertEqual(strangerRow["unusable_because"] as? [String], [], gated.lines[1])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(strangerRow["usefulness"] as? Double), 0.5)

        // With the rules relaxed by the operator, the same frame is a new-individual candidate again.
        let config = station.root.appendingPathComponent("lenient.toml").path
        try "[identification]\ncrop = \"none\"\nmin_sharpness = 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        let lenient = try runFlukeWatch(["identify", blank, "--crop", "none", "--json", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        let relaxed = try json(try XCTUnwrap(lenient.lines.first))
        XCTAssertEqual(relaxed["unusable_because"] as? [String], [], lenient.lines[0])
        let relaxedScore = try XCTUnwrap((relaxed["candidates"] as? [[String: Any]])?.first?["score"] as? Double)
        XCTAssertEqual(relaxed["decision"] as? String, relaxedScore < tNew ? "new" : relaxedScore < (stats["threshold_match"] as? Double ?? 1) ? "uncertain" : "match")

        // The daemon records why, and the journal line says it.
        let daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        try DropFolderWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: blank))), to: "\(station.drop)/IMG_0001.JPG", style: .direct)
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 30, "the sighting") { try queries.status().sightings == 1 }
        let row = try daemon.daemon.database.pool.read {
            try XCTUnwrap(try Row.fetchOne($0, sql: "SELECT decision, usefulness, unusable_because FROM sighting"))
        }
        XCTAssertEqual(row["decision"] as String?, "uncertain")
        XCTAssertTrue((row["unusable_because"] as String?)?.contains("no fluke found") == true)
        XCTAssertLessThan(row["usefulness"] as Double? ?? 1, 0.5)
    }

    /// A burst of one whale from one camera becomes one encounter with one combined call; a photo
    /// an hour later is another encounter. `encounters --json` and `sightings --json` show both.
    func testTheDaemonGroupsABurstIntoOneEncounterWithOneCall() throws {
        let station = try TempStation("encounters")
        let (csv, _) = try makeCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        let daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        // HW-2 in three new scenes 5 s apart, then HW-4 an hour later; later still, two whales of a
        // pod (HW-1, HW-3) 5 s apart: one encounter whose photos disagree.
        let shots: [(individual: Int, scene: UInt64, exifIndex: Int)] = [(2, 901, 500), (2, 902, 505), (2, 903, 510), (4, 904, 4100),
                                                                           (1, 905, 7000), (3, 906, 7005)]
        for (n, shot) in shots.enumerated() {
            let bytes = try FixturePhoto(width: 640, height: 480, individualSeed: UInt64(shot.individual * 7), sceneSeed: shot.scene,
                                         noise: 2, exif: FixturePhoto.cameraEXIF(index: shot.exifIndex)).jpegBytes()
            try DropFolderWriter.write(bytes, to: "\(station.drop)/IMG_\(7000 + n).JPG", style: .direct)
        }
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 60, "six sightings") { try queries.status().sightings == 6 }
        try daemon.stop()

        let listed = try runFlukeWatch(["encounters", "--json", "--state-dir", station.state])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let encounters = try listed.lines.map(json)
        XCTAssertEqual(encounters.count, 3, listed.stdout)
        let burst = encounters[0], later = encounters[1], pod = encounters[2]
        XCTAssertEqual(burst["photos"] as? Int, 3)
        XCTAssertEqual((burst["sightings"] as? [Int])?.count, 3)
        XCTAssertEqual(burst["individual"] as? String, "HW-2", listed.lines[0])
        XCTAssertEqual(burst["decision"] as? String, "match", listed.lines[0])
        XCTAssertEqual(try XCTUnwrap(burst["ended_epoch"] as? Double) - (burst["started_epoch"] as? Double ?? 0), 10, accuracy: 1)   // plus EXIF sub-seconds
        XCTAssertEqual(later["photos"] as? Int, 1)
        XCTAssertEqual(later["individual"] as? String, "HW-4", listed.lines[1])

        let sightings = try runFlukeWatch(["sightings", "--json", "--state-dir", station.state]).lines.map(json)
        XCTAssertEqual(sightings.count, 6)
        let burstIDs = Set(try XCTUnwrap(burst["sightings"] as? [Int])), podIDs = Set(try XCTUnwrap(pod["sightings"] as? [Int]))
        for s in sightings {
            let id = try XCTUnwrap(s["id"] as? Int)
            let expected = burstIDs.contains(id) ? burst["id"] : podIDs.contains(id) ? pod["id"] : later["id"]
            XCTAssertEqual(s["encounter_id"] as? Int, expected as? Int)
            XCTAssertEqual(s["unusable_because"] as? [String], [])
        }
        // Each photo of the pod matched its own whale; averaged, they would favour neither (or
        // call a new whale): the encounter is left to a person.
        let podCalls = sightings.filter { podIDs.contains($0["id"] as? Int ?? 0) }
        XCTAssertEqual(Set(podCalls.compactMap { $0["individual"] as? String }), ["HW-1", "HW-3"])
        XCTAssertEqual(podCalls.compactMap { $0["decision"] as? String }, ["match", "match"])
        XCTAssertEqual(pod["photos"] as? Int, 2)
        XCTAssertEqual(pod["decision"] as? String, "uncertain", listed.lines[2])
    }

    /// A refit calibrates on verified scores: each simulated query is verified against the stored
    /// features of the catalog, read from the database as it goes.
    func testARefitCalibratesOnVerifiedScores() throws {
        let station = try TempStation("verified-refit")
        let (csv, _) = try makeCatalog(in: station.root)
        let imported = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "import", csv, "--json", "--state-dir", station.state]).lines.last))
        let version = try XCTUnwrap(imported["model_version"] as? String)
        let fitter = CatalogFitter(store: CatalogStore(database: try station.database()))
        var global = MatchingRecipe.station
        global.verification = nil
        let plain = try fitter.refit(modelVersion: version, recipe: global).fitted
        let verified = try fitter.refit(modelVersion: version, recipe: .station).fitted
        // Same whales share many consistent keypoints, so verified scores (and the threshold that
        // separates known from new on them) sit well above the global ones.
        XCTAssertGreaterThan(verified.thresholdNew, plain.thresholdNew + 0.05, "\(verified.thresholdNew) vs \(plain.thresholdNew)")
    }
}
