import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeStore
import Foundation
import GRDB
import XCTest

/// Verification only while the answer is in doubt, on a real station (real model, real SIFT,
/// the catalog's stored features): a photo whose leader is already a match far ahead of the rest
/// is not verified and keeps its leader and call; a photo in doubt is verified; the operator's
/// `verify_every_photo` verifies them all.
final class VerificationGateStationTests: XCTestCase {
    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testOnlyPhotosInDoubtAreVerifiedAndSkippingKeepsTheCall() throws {
        let station = try TempStation("gate")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        // A whale the catalog does not hold: its best candidate is no match, so it is in doubt.
        let stranger = station.root.appendingPathComponent("stranger.jpg").path
        try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: 99, sceneSeed: 4242, noise: 2).jpegBytes(),
                                   to: stranger, style: .direct)
        let verifyAll = station.root.appendingPathComponent("verify-all.toml").path
        try "[identification]\nverify_every_photo = true\n".write(toFile: verifyAll, atomically: true, encoding: .utf8)

        func identify(_ extra: [String]) throws -> [[String: Any]] {
            let r = try runFlukeWatch(["identify", photos[6].path, stranger, "--json", "--state-dir", station.state] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try r.lines.map(json)
        }
        let gated = try identify([])
        let everyPhoto = try identify(["--config", verifyAll])
        XCTAssertEqual(gated.map { $0["verified"] as? Bool }, [false, true], "\(gated)")
        XCTAssertEqual(everyPhoto.map { $0["verified"] as? Bool }, [true, true], "\(everyPhoto)")

        // The catalogued photo: the same leader and call either way; verification only adds to its score.
        func leader(_ row: [String: Any]) throws -> (String, Double) {
            let first = try XCTUnwrap((row["candidates"] as? [[String: Any]])?.first)
            return (try XCTUnwrap(first["individual"] as? String), try XCTUnwrap(first["score"] as? Double))
        }
        XCTAssertEqual(gated[0]["decision"] as? String, "match")
        XCTAssertEqual(everyPhoto[0]["decision"] as? String, "match")
        let (skipped, skippedScore) = try leader(gated[0]), (checked, checkedScore) = try leader(everyPhoto[0])
        XCTAssertEqual(skipped, photos[6].individual)
        XCTAssertEqual(checked, skipped)
        XCTAssertGreaterThan(checkedScore, skippedScore, "the photo's own catalog copy shares many inliers")
        // The stranger is verified either way, so it is ranked and called alike.
        XCTAssertEqual(gated[1]["decision"] as? String, everyPhoto[1]["decision"] as? String)
        XCTAssertEqual(try leader(gated[1]).0, try leader(everyPhoto[1]).0)
        XCTAssertEqual(try leader(gated[1]).1, try leader(everyPhoto[1]).1, accuracy: 1e-6)
    }

    /// In the daemon, a sighting keeps the query's local features (for its encounter) only when
    /// they were computed, i.e. when its leaders were verified.
    func testTheDaemonComputesLocalFeaturesOnlyForPhotosInDoubt() throws {
        let station = try TempStation("gate-daemon")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        var config = station.config(settle: 0.3)
        config.encounterGap = 0
        let daemon = try InProcessDaemon(config)
        defer { try? daemon.stop() }
        let queries = StationQueries(database: daemon.daemon.database)
        let database = daemon.daemon.database
        func keptFeatures() throws -> Int {
            try database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sighting_local_features") ?? 0 }
        }
        try DropFolderWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: photos[2].path))),
                                   to: "\(station.drop)/IMG_0001.JPG", style: .direct)
        try waitUntil(timeout: 30, "the first sighting") { try queries.status().sightings == 1 }
        XCTAssertEqual(try queries.sightings().first?.decision, "match")
        XCTAssertEqual(try keptFeatures(), 0, "a certain match is not verified")
        try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: 99, sceneSeed: 4243, noise: 2,
                                                    exif: FixturePhoto.cameraEXIF(index: 77)).jpegBytes(),
                                   to: "\(station.drop)/IMG_0002.JPG", style: .direct)
        try waitUntil(timeout: 30, "the second sighting") { try queries.status().sightings == 2 }
        XCTAssertEqual(try keptFeatures(), 1, "a whale in doubt is verified, and its features kept")
    }
}
