import Crypto
import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeStore
import Foundation
import GRDB
import XCTest

/// A new model installed over a catalog embedded by the old one: the catalog is embedded again
/// from its original files, every embedding keeps its version, and rankings use one version only.
final class ModelChangeTests: XCTestCase {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL

    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    /// A copy of the installed model with one byte of its weights changed: another model version
    /// (the version is the weights' digest) that embeds almost exactly as the original.
    func otherModel(in dir: URL) throws -> (directory: String, version: String) {
        let target = dir.appendingPathComponent("model-b")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let manifestURL = repo.appendingPathComponent("models/efficientnet-lite0-int8.json")
        var manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        var bin = try XCTUnwrap(manifest["bin"] as? [String: Any])
        var weights = try Data(contentsOf: repo.appendingPathComponent("models/\(try XCTUnwrap(bin["file"] as? String))"))
        weights[weights.count - 1] ^= 1
        let digest = SHA256.hash(data: weights).map { String(format: "%02x", $0) }.joined()
        bin["sha256"] = digest
        manifest["bin"] = bin
        try weights.write(to: target.appendingPathComponent(try XCTUnwrap(bin["file"] as? String)))
        try JSONSerialization.data(withJSONObject: manifest).write(to: target.appendingPathComponent("efficientnet-lite0-int8.json"))
        return (target.path, "efficientnet-lite0-int8-\(digest.prefix(12))" + MatchingRecipe.station.featureVersionSuffix)
    }

    func embeddingCounts(_ database: StationDatabase) throws -> [String: Int] {
        try database.pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT model_version, COUNT(*) AS n FROM embedding WHERE catalog_photo_id IS NOT NULL GROUP BY model_version
                """).map { ($0["model_version"] as String, $0["n"] as Int) })
        }
    }

    /// Copies a catalog photo into the drop folder before the daemon starts, runs an in-process
    /// daemon with `config` until it has logged that photo's sighting, stops it, returns the sighting.
    func sightingOfWaitingPhoto(_ path: String, named name: String, station: TempStation, config: StationConfig) throws -> SightingListing {
        try DropFolderWriter.write(Array(try Data(contentsOf: URL(fileURLWithPath: path))), to: "\(station.drop)/\(name)", style: .direct)
        let daemon = try InProcessDaemon(config)
        defer { try? daemon.stop() }
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 90, "the sighting") { try queries.status().sightings == 1 }
        let sighting = try XCTUnwrap(try queries.sightings().first)
        try daemon.stop()
        return sighting
    }

    func testTheDaemonReembedsTheCatalogForANewModelWhilePhotosWait() throws {
        let station = try TempStation("model-change")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        let imported = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "import", csv, "--json", "--state-dir", station.state]).lines.last))
        let oldVersion = try XCTUnwrap(imported["model_version"] as? String)
        let (modelB, newVersion) = try otherModel(in: station.root)
        XCTAssertNotEqual(oldVersion, newVersion)

        // A photo is already waiting in the drop folder when the station starts with model B.
        var config = station.config(settle: 0.3)
        config.modelDirectory = modelB
        let sighting = try sightingOfWaitingPhoto(photos[6].path, named: "IMG_0500.JPG", station: station, config: config)
        // It waited for the new catalog instead of being logged unidentified.
        XCTAssertEqual(sighting.modelVersion, newVersion)
        XCTAssertEqual(sighting.decision, "match")
        XCTAssertEqual(sighting.individual, photos[6].individual)

        XCTAssertEqual(try embeddingCounts(try station.database()), [oldVersion: 20, newVersion: 20])
        let status = try json(try XCTUnwrap(try runFlukeWatch(["status", "--json", "--state-dir", station.state]).lines.last))
        let change = try XCTUnwrap(status["model_change"] as? [String: Any], "\(status)")
        XCTAssertEqual(change["model_version"] as? String, newVersion)
        XCTAssertEqual(change["done"] as? Int, 20)
        XCTAssertEqual(change["total"] as? Int, 20)
        XCTAssertEqual(change["failed"] as? Int, 0)
        XCTAssertNotNil(change["finished_at"] as? Double)
        // Both versions are fitted, each on its own embeddings.
        let fitted = try station.database().pool.read { try String.fetchAll($0, sql: "SELECT model_version FROM catalog_model ORDER BY 1") }
        XCTAssertEqual(Set(fitted), [oldVersion, newVersion])
    }

    /// Switching `fast_embedding` on is a change of feature space, handled as a new model is: the
    /// daemon re-embeds the catalog with the one-run recipe while the photo waits, then identifies
    /// it against that catalog alone; the CLI reads the same switch from the config.
    func testSwitchingToFastEmbeddingReembedsTheCatalogWhilePhotosWait() throws {
        let station = try TempStation("fast-embedding")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        let imported = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "import", csv, "--json", "--state-dir", station.state]).lines.last))
        let fiveLooks = try XCTUnwrap(imported["model_version"] as? String)
        XCTAssertTrue(fiveLooks.hasSuffix(MatchingRecipe.station.featureVersionSuffix), fiveLooks)
        let oneLook = String(fiveLooks.dropLast(MatchingRecipe.station.featureVersionSuffix.count)) + MatchingRecipe.fastStation.featureVersionSuffix

        var config = station.config(settle: 0.3)
        config.fastEmbedding = true
        let sighting = try sightingOfWaitingPhoto(photos[6].path, named: "IMG_0600.JPG", station: station, config: config)
        XCTAssertEqual(sighting.modelVersion, oneLook)
        XCTAssertEqual(sighting.decision, "match")
        XCTAssertEqual(sighting.individual, photos[6].individual)
        XCTAssertEqual(try embeddingCounts(try station.database()), [fiveLooks: 20, oneLook: 20])

        let fast = station.root.appendingPathComponent("fast.toml").path
        try "[identification]\nfast_embedding = true\n".write(toFile: fast, atomically: true, encoding: .utf8)
        let stats = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--config", fast, "--state-dir", station.state]).lines.last))
        XCTAssertEqual(stats["model_version"] as? String, oneLook)
        XCTAssertEqual(stats["fitted"] as? Bool, true)
        let id = try runFlukeWatch(["identify", photos[9].path, "--json", "--config", fast, "--state-dir", station.state])
        XCTAssertEqual(try json(try XCTUnwrap(id.lines.first))["decision"] as? String, "match", id.stdout)
        let defaults = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--state-dir", station.state]).lines.last))
        XCTAssertEqual(defaults["model_version"] as? String, fiveLooks, "without the switch the five-look catalog is still the one used")

        // A whale catalogued while fast_embedding was on has no five-look embedding: switched back,
        // the daemon uses the fitted five-look catalog and says which command adds the newcomer.
        let extra = station.root.appendingPathComponent("extra.csv").path
        let newcomer = station.root.appendingPathComponent("photos/HW9_1.jpg").path
        try DropFolderWriter.write(try FixturePhoto(width: 640, height: 480, individualSeed: 63, sceneSeed: 901, noise: 2).jpegBytes(),
                                   to: newcomer, style: .direct)
        try "file,individual\n\(newcomer),HW-9\n".write(toFile: extra, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", extra, "--config", fast, "--state-dir", station.state]).status, 0)
        XCTAssertEqual(try embeddingCounts(try station.database()), [fiveLooks: 20, oneLook: 21])
        let five = station.root.appendingPathComponent("five.toml").path
        try "[storage]\nstate_dir = \"\(station.state)\"\n[[drop_folder]]\npath = \"\(station.drop)\"\ncamera = \"bow\"\n"
            .write(toFile: five, atomically: true, encoding: .utf8)
        let process = try DaemonProcess(arguments: ["--config", five], logPath: station.root.appendingPathComponent("five.log").path)
        defer { if process.process.isRunning { process.kill9() } }
        waitUntil(timeout: 30, "the warning") { process.logTail(200).contains("1 catalog photo(s) have no embedding for model \(fiveLooks)") }
        XCTAssertTrue(process.logTail(200).contains("run `flukewatch catalog reembed` to add them"), process.logTail())
        XCTAssertEqual(process.terminate(), 0)
        let reembedded = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "reembed", "--json", "--state-dir", station.state]).lines.last))
        XCTAssertEqual(reembedded["embedded"] as? Int, 1)
        XCTAssertEqual(try embeddingCounts(try station.database()), [fiveLooks: 21, oneLook: 21])
    }

    func testCatalogReembedRunsInTheForegroundAndNamesPhotosItCannotRead() throws {
        let station = try TempStation("reembed-cli")
        let (csv, photos) = try makeSyntheticCatalog(in: station.root)
        XCTAssertEqual(try runFlukeWatch(["catalog", "import", csv, "--state-dir", station.state]).status, 0)
        let (modelB, newVersion) = try otherModel(in: station.root)
        let config = station.root.appendingPathComponent("b.toml").path
        try "[identification]\nmodel_dir = \"\(modelB)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        // One original was edited since it was catalogued: it cannot be re-embedded as the same photo.
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: photos[3].path))

        let r = try runFlukeWatch(["catalog", "reembed", "--json", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try json(try XCTUnwrap(r.lines.last))
        XCTAssertEqual(summary["model_version"] as? String, newVersion)
        XCTAssertEqual(summary["embedded"] as? Int, 19)
        XCTAssertEqual(summary["refitted"] as? Bool, true)
        let failed = try XCTUnwrap(summary["failed"] as? [String])
        XCTAssertEqual(failed.count, 1)
        XCTAssertTrue(failed[0].contains(photos[3].path) && failed[0].contains("changed since it was catalogued"), failed[0])

        let again = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "reembed", "--json", "--config", config, "--state-dir", station.state]).lines.last))
        XCTAssertEqual(again["embedded"] as? Int, 0, "only the photo that still fails is tried again")
        let stats = try json(try XCTUnwrap(try runFlukeWatch(["catalog", "stats", "--json", "--config", config, "--state-dir", station.state]).lines.last))
        XCTAssertEqual(stats["fitted"] as? Bool, true)
        let id = try runFlukeWatch(["identify", photos[9].path, "--json", "--config", config, "--state-dir", station.state])
        XCTAssertEqual(try json(try XCTUnwrap(id.lines.first))["decision"] as? String, "match", id.stdout)
    }
}
