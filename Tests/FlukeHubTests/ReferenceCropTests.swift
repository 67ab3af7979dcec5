import FlukeAPI
import FlukeFixtures
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation
import GRDB
import XCTest

/// A reference photo the hub sends as an embedding arrives with its crop's sha256: the station
/// fetches the crop once and keeps its local features, so the whale is verified geometrically
/// like the station's own catalog photos (and shown on the review page).
final class ReferenceCropTests: XCTestCase {
    let http = TestHTTP()

    func testHubReferencesGetLocalFeaturesFromTheirCropsOnceEach() async throws {
        let hub = try HubUnderTest()
        try hub.start()
        defer { hub.stop() }
        let a = try TestStation("crops-a"), b = try TestStation("crops-b")
        try a.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "crops-a"))
        try b.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "crops-b"))
        let curator = try hub.addToken("curator", "carla")

        // boat-a meets two new whales; the first one's fluke crop is a real photo.
        var rng = SystemRandomNumberGenerator()
        let photographed = try a.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        let unphotographed = try a.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        let fluke = try FixturePhoto(width: 640, height: 480, individualSeed: 7, sceneSeed: 3).jpegBytes()
        let photoSHA = try await a.database.pool.read {
            try String.fetchOne($0, sql: "SELECT photo_sha256 FROM sighting WHERE id = ?", arguments: [photographed])!
        }
        let cropPath = "\(a.state)/\(StateDirectoryLayout.flukeCrop(sha256: photoSHA))"
        try FileManager.default.createDirectory(atPath: (cropPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: cropPath, contents: Data(fluke)))
        let flukeSHA = sha256Hex(Data(fluke))
        let provisional = [try a.newIndividual(photographed), try a.newIndividual(unphotographed)]
        XCTAssertEqual(try runTool("flukewatch", ["sync", "--once", "--config", a.configPath]).status, 0)

        // The hub loses the second whale's crop (a damaged disk, a purge): that one stays embedding-only.
        let lostSHA = try await DatabaseQueue(path: hub.db).write { db -> String in
            let sha = try XCTUnwrap(try String.fetchOne(db, sql: "SELECT sha256 FROM crop WHERE sha256 <> ?", arguments: [flukeSHA]))
            try db.execute(sql: "DELETE FROM crop WHERE sha256 = ?", arguments: [sha])
            return sha
        }
        let promoted = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: provisional.map { CandidateRef(stationID: "crops-a", provisionalID: $0) })))
        XCTAssertEqual(promoted.status, 200, promoted.text)

        let synced = try runTool("flukewatch", ["sync", "--once", "--config", b.configPath])
        XCTAssertEqual(synced.status, 0, synced.stderr)
        let log = synced.stderr + synced.stdout
        XCTAssertTrue(log.contains("fetched the crops of 1 reference photo(s) for verification"), log)
        XCTAssertTrue(log.contains("the hub has no crop \(lostSHA)"), "the operator hears which crop is missing: \(log)")

        let outcomes = try await b.database.pool.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT sha256, outcome FROM hub_reference_crop").map {
                ($0["sha256"] as String, $0["outcome"] as String)
            })
        }
        XCTAssertEqual(outcomes, [flukeSHA: "features", lostSHA: "missing"])

        // The stored features are the ones the station computes from that crop itself.
        let referenceRow = try await b.database.pool.read {
            try Int64.fetchOne($0, sql: "SELECT id FROM catalog_photo WHERE sha256 = ?", arguments: [flukeSHA])
        }
        let referenceID = try XCTUnwrap(referenceRow)
        let stored = try XCTUnwrap(try CatalogStore(database: b.database).localFeatures(catalogPhotoID: referenceID))
        let image = try PhotoDecoder.decode(fluke)
        let expected = try FeatureExtractor.localFeatures(of: try FeatureExtractor.networkView(of: image, crop: .fluke).view)
        XCTAssertEqual(stored, expected.blob)
        XCTAssertGreaterThan(expected.count, 20, "a fluke photo has marks to match")
        XCTAssertGreaterThan(try expected.inliers(with: try LocalFeatures(blob: stored)), 20)
        let reviewCrop = "\(b.state)/\(StateDirectoryLayout.catalogCrop(sha256: flukeSHA))"
        XCTAssertEqual(FileManager.default.contents(atPath: reviewCrop)?.prefix(2), Data([0xFF, 0xD8]), "the review page's crop is kept")

        // Asked for once: nothing is fetched again on the next round.
        XCTAssertEqual(try CatalogStore(database: b.database).hubReferenceCropsToFetch(limit: 10), [])
        let again = try runTool("flukewatch", ["sync", "--once", "--config", b.configPath])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse((again.stderr + again.stdout).contains("has no crop"), again.stderr)
    }
}
