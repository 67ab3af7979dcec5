import FlukeStore
import Foundation
import GRDB
import XCTest

/// `flukewatch catalog prune`: what a model change left behind goes, and nothing a photo still
/// depends on.
extension ModelChangeTests {
    func fittedVersions(_ database: StationDatabase) throws -> Set<String> {
        Set(try database.pool.read { try String.fetchAll($0, sql: "SELECT model_version FROM catalog_model") })
    }

    func testCatalogPruneRemovesOtherModelsButNeverAPhotosLastEmbedding() throws {
        let station = try TempStation("prune")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        let imported = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "import", csv, "--json", "--state-dir", station.state]).lines.last))
        let oldVersion = try XCTUnwrap(imported["model_version"] as? String)
        let (modelB, newVersion) = try otherModel(in: station.root)
        let config = station.root.appendingPathComponent("b.toml").path
        try "[identification]\nmodel_dir = \"\(modelB)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        // One original changed since it was catalogued: model B cannot embed it, so its old embedding must stay.
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: photos[3].path))
        let first = try runFlukeWatch(["catalog", "reembed", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("`flukewatch catalog prune` removes them"), first.stdout)
        let database = try station.database()
        XCTAssertEqual(try embeddingCounts(database), [oldVersion: 20, newVersion: 19])

        let stats = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--config", config, "--state-dir", station.state]).lines.last))
        let others = try XCTUnwrap(stats["other_versions"] as? [[String: Any]], "\(stats)")
        XCTAssertEqual(others.count, 1)
        XCTAssertEqual(others[0]["model_version"] as? String, oldVersion)
        XCTAssertEqual(others[0]["embeddings"] as? Int, 20)
        XCTAssertEqual(others[0]["removable"] as? Int, 19)
        XCTAssertEqual(others[0]["fitted"] as? Bool, true)
        XCTAssertGreaterThan(try XCTUnwrap(others[0]["removable_bytes"] as? Int), 19 * 1000)

        let dry = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "prune", "--dry-run", "--json", "--config", config, "--state-dir", station.state]).lines.last))
        XCTAssertEqual(dry["removed_embeddings"] as? Int, 19)
        XCTAssertEqual(dry["kept_embeddings"] as? Int, 1)
        XCTAssertEqual(dry["removed_fits"] as? [String], [], "the old fit stays while a photo has only the old embedding")
        XCTAssertEqual(try embeddingCounts(database), [oldVersion: 20, newVersion: 19], "a dry run removes nothing")

        let pruned = try runFlukeWatch(["catalog", "prune", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(pruned.status, 0, pruned.stderr)
        XCTAssertTrue(pruned.stdout.contains("removed 19 catalog embedding(s)") && pruned.stdout.contains("kept 1 older embedding(s)"), pruned.stdout)
        XCTAssertEqual(try embeddingCounts(database), [oldVersion: 1, newVersion: 19])
        XCTAssertEqual(try fittedVersions(database), [oldVersion, newVersion])
        let id = try runFlukeWatch(["identify", photos[9].path, "--json", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(try json(try XCTUnwrap(id.lines.first))["decision"] as? String, "match", id.stdout)

        // Back on the original model, it re-embeds the 19 photos pruned of it (the changed one
        // still has its own); then every photo has an original embedding, so all of model B's
        // go, its fit with them, and --vacuum shrinks the file.
        let reembedded = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "reembed", "--json", "--state-dir", station.state]).lines.last))
        XCTAssertEqual(reembedded["embedded"] as? Int, 19)
        XCTAssertGreaterThan(try XCTUnwrap(reembedded["other_models_bytes"] as? Int), 19 * 1000, "model B's 19 are now prunable")
        XCTAssertEqual(try embeddingCounts(database), [oldVersion: 20, newVersion: 19])
        let sizeBefore = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: station.state + "/flukewatch.sqlite")[.size] as? Int)
        let back = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "prune", "--vacuum", "--json", "--state-dir", station.state]).lines.last))
        XCTAssertEqual(back["model_version"] as? String, oldVersion)
        XCTAssertEqual(back["removed_embeddings"] as? Int, 19)
        XCTAssertEqual(back["removed_fits"] as? [String], [newVersion])
        XCTAssertEqual(back["kept_embeddings"] as? Int, 0)
        XCTAssertEqual(try embeddingCounts(database), [oldVersion: 20])
        XCTAssertEqual(try fittedVersions(database), [oldVersion])
        let sizeAfter = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: station.state + "/flukewatch.sqlite")[.size] as? Int)
        XCTAssertLessThan(sizeAfter, sizeBefore, "--vacuum gives the space back to the card")
    }
}
