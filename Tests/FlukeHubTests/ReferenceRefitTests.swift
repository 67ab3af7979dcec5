import FlukeAPI
import FlukeStation
import FlukeStore
import Foundation
import XCTest

/// A whale promoted on the hub from one station's candidate becomes identifiable at another
/// station after its next sync, with no restart and no catalog import.
final class ReferenceRefitTests: XCTestCase {
    let http = TestHTTP()

    func testReferenceEmbeddingsFromTheHubJoinTheStationsGallery() async throws {
        let hub = try HubUnderTest()
        try hub.start()
        defer { hub.stop() }
        let a = try TestStation("boat-a"), b = try TestStation("boat-b")
        try a.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-a"))
        try b.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-b"))
        let curator = try hub.addToken("curator", "carla")

        // boat-b's own catalog: three whales, three photos each, fitted as `catalog import` does.
        let store = CatalogStore(database: b.database)
        var rng = SystemRandomNumberGenerator()
        for k in 1...3 {
            let base = Vectors.random(64, seed: &rng)
            for j in 1...3 {
                _ = try store.add(individual: "HW-\(k)", name: nil, sha256: sha256Hex(Data("catalog \(k) \(j)".utf8)),
                                  sourcePath: "/catalog/\(k)-\(j).jpg", feature: Vectors.near(base), modelVersion: "test-model-1", crop: "fluke")
            }
        }
        let before = try CatalogFitter(store: store).refit(modelVersion: "test-model-1", recipe: .station).fitted

        // boat-a meets a new whale; the curator makes it FW-00001.
        let whale = Vectors.random(64, seed: &rng)
        let provisional = try a.newIndividual(try a.addSighting(decision: .new, feature: whale))
        XCTAssertEqual(try runTool("flukewatch", ["sync", "--once", "--config", a.configPath]).status, 0)
        let promoted = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: provisional)])))
        XCTAssertEqual(promoted.status, 200, promoted.text)

        let synced = try runTool("flukewatch", ["sync", "--once", "--config", b.configPath])
        XCTAssertEqual(synced.status, 0, synced.stderr)
        XCTAssertTrue((synced.stderr + synced.stdout).contains("refitted"), "the operator sees the refit: \(synced.stderr)")
        // A new fit is what the daemon's IdentificationService.refreshIfChanged reloads on.
        let after = try XCTUnwrap(try store.fittedModel(version: "test-model-1"))
        XCTAssertGreaterThan(after.fittedAt, before.fittedAt)
        XCTAssertEqual(after.catalogPhotos, 10)
        XCTAssertEqual(after.individuals, 4)
        let index = try XCTUnwrap(try CatalogIndex.load(store: store, modelVersion: "test-model-1"))
        let ranked = try index.identify(Vectors.near(whale), topK: 3).candidates
        XCTAssertEqual(ranked.first?.individual, "FW-00001", "\(ranked)")

        // A sync with nothing new from the hub does not refit again.
        XCTAssertEqual(try runTool("flukewatch", ["sync", "--once", "--config", b.configPath]).status, 0)
        XCTAssertEqual(try store.fittedModel(version: "test-model-1")?.fittedAt, after.fittedAt)
    }
}
