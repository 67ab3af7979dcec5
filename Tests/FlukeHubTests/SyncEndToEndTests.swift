import FlukeAPI
import FlukeCore
import FlukeStore
import Foundation
import GRDB
import Synchronization
import XCTest

/// Real stations (`flukewatch sync`) and a real hub (`flukewatch-hub serve`) on loopback.
/// On SQLite here; SyncEndToEndPostgresTests runs them on PostgreSQL.
class SyncEndToEndTests: XCTestCase {
    let http = TestHTTP()

    func makeBackend() throws -> HubBackend { .sqlite }

    override func tearDown() async throws { await http.shutdown() }

    /// The hub held as the test reads it: every (station, item) it stores.
    func hubItems(_ hub: HubUnderTest) throws -> [String] { try hub.items() }

    /// While a station syncs 120 decisions in small rounds, the hub is SIGKILLed and restarted
    /// and the syncing station is SIGKILLed and restarted, several times each. Afterwards the
    /// hub holds exactly the station's items — none lost, none twice — and the outbox is drained.
    func testHubAndStationKilledMidSyncLoseNothingAndCountNothingTwice() throws {
        let hub = try HubUnderTest(backend: try makeBackend())
        try hub.start()
        let token = try hub.addToken("station", "boat-a")
        let station = try TestStation("boat-a")
        try station.addReviewedSightings(120)
        // Small rounds (about four items each) so kills land mid-drain.
        try station.writeConfig(hubURL: hub.url, token: token, maxBytesPerRound: 6000, batchItems: 4)
        let logPath = station.root.appendingPathComponent("sync.log").path
        var sync = try BackgroundProcess("flukewatch", ["sync", "--config", station.configPath], logPath: logPath)
        var rng2 = SystemRandomNumberGenerator()
        for round in 0..<8 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...0.6, using: &rng2))
            if round % 2 == 0 {
                hub.kill9()
                Thread.sleep(forTimeInterval: 0.3)
                try hub.start()
            } else {
                sync.kill9()
                sync = try BackgroundProcess("flukewatch", ["sync", "--config", station.configPath], logPath: logPath)
            }
        }
        sync.kill9()
        let done = try runTool("flukewatch", ["sync", "--once", "--config", station.configPath])
        XCTAssertEqual(done.status, 0, String((done.stderr + done.stdout).suffix(1500)))

        let expected = try station.syncItems()
        XCTAssertEqual(expected.count, 120 + 40 + 120, "a sighting and a decision per photo, a candidate per new whale")
        let held = try hubItems(hub)
        XCTAssertEqual(held.count, expected.count, "none twice, none lost")
        let missing = Set(expected.map { "boat-a/\($0)" }).subtracting(held), extra = Set(held).subtracting(expected.map { "boat-a/\($0)" })
        XCTAssertTrue(missing.isEmpty, "lost: \(missing.prefix(5))")
        XCTAssertTrue(extra.isEmpty, "not the station's: \(extra.prefix(5))")
        let status = try SyncOutbox(database: station.database).status()
        XCTAssertEqual(status.outbox, 0)
        XCTAssertEqual(status.parked, 0)
        XCTAssertEqual(status.acknowledged, 120)
        XCTAssertNotNil(status.lastSuccessAt)
        // The kills were real: the log shows failed rounds that were retried.
        XCTAssertTrue(sync.log.contains("sync failed"), sync.log.suffix(2000).description)
        let json = try runTool("flukewatch", ["status", "--json", "--config", station.configPath])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let syncObject = try XCTUnwrap(object?["sync"] as? [String: Any], json.stdout)
        XCTAssertEqual(syncObject["outbox"] as? Int, 0)
        XCTAssertNotNil(syncObject["last_success_at"] as? String)
        XCTAssertNotNil(syncObject["last_error"] as? String, "the hub's kills were recorded")
        hub.stop()
    }

    /// Two stations see the same new whale; one also sees a second whale that turns out to be
    /// the same. The curator sees the look-alikes grouped, promotes them to one individual and
    /// merges the other in; after their next sync both stations' sighting logs name the one global id.
    func testTwoStationsCandidatesBecomeOneGlobalIndividual() async throws {
        let hub = try HubUnderTest(backend: try makeBackend())
        try hub.start()
        defer { hub.stop() }
        let a = try TestStation("boat-a"), b = try TestStation("boat-b")
        try a.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-a"))
        try b.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-b"))
        let curator = try hub.addToken("curator", "carla")

        var rng = SystemRandomNumberGenerator()
        let whale = Vectors.random(64, seed: &rng), other = Vectors.random(64, seed: &rng)
        let aFirst = try a.addSighting(decision: .new, feature: Vectors.near(whale))
        let aSecond = try a.addSighting(decision: .new, feature: other)
        let bFirst = try b.addSighting(decision: .new, feature: Vectors.near(whale))
        let pa1 = try a.newIndividual(aFirst, name: "Splash")
        let pa2 = try a.newIndividual(aSecond)
        let pb1 = try b.newIndividual(bFirst)
        XCTAssertEqual([pa1, pa2, pb1], ["P-boat-a-0001", "P-boat-a-0002", "P-boat-b-0001"])
        // Both stations sync at the same time, as boats reaching port together would.
        let configs = [a.configPath, b.configPath]
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: configs.count) { i in
            let r = try? runTool("flukewatch", ["sync", "--once", "--config", configs[i]])
            outcomes.withLock { $0.append(r.map { $0.status == 0 ? "ok" : "exit \($0.status): \($0.stderr)" } ?? "did not start") }
        }
        XCTAssertEqual(outcomes.withLock { $0 }, ["ok", "ok"])

        let groups = try await http.send(.GET, hub.url + HubPath.candidateGroups + "?min_similarity=0.9", token: curator)
        XCTAssertEqual(groups.status, 200, groups.text)
        let decoded = try WireCoding.decodeStrictly(CandidateGroups.self, from: groups.body)
        XCTAssertEqual(decoded.groups.count, 1, groups.text)
        XCTAssertEqual(Set(decoded.groups[0].candidates.map(\.provisionalID)), [pa1, pb1])

        let promoted = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: decoded.groups[0].candidates.map(\.ref))))
        XCTAssertEqual(promoted.status, 200, promoted.text)
        let global = try XCTUnwrap(promoted.json["individual_id"] as? String)
        XCTAssertEqual(global, "FW-00001")
        // Promoting again is a conflict that names what happened, not a second individual.
        let twice = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: pa1)])))
        XCTAssertEqual(twice.status, 409, twice.text)
        XCTAssertTrue(twice.text.contains("FW-00001"), twice.text)

        let second = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: pa2)], name: "Dot")))
        XCTAssertEqual(second.json["individual_id"] as? String, "FW-00002", second.text)
        let merged = try await http.send(.POST, hub.url + HubPath.mergeIndividuals, token: curator,
                                         body: try WireCoding.encode(MergeIndividualsRequest(from: "FW-00002", into: global)))
        XCTAssertEqual(merged.status, 200, merged.text)

        for s in [a, b] {
            let r = try runTool("flukewatch", ["sync", "--once", "--config", s.configPath])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try a.individual(ofSighting: aFirst), global)
        XCTAssertEqual(try a.individual(ofSighting: aSecond), global)
        XCTAssertEqual(try b.individual(ofSighting: bFirst), global)
        // The station's own log, as an operator reads it.
        for (s, count) in [(a, 2), (b, 1)] {
            let log = try runTool("flukewatch", ["sightings", "--json", "--config", s.configPath])
            let named = log.stdout.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["individual"] as? String
            }
            XCTAssertEqual(named, Array(repeating: global, count: count), log.stdout)
        }
        // The provisional ids stay as pointers to the global one, and the name followed the whale.
        let row = try a.database.pool.read { try Row.fetchOne($0, sql: "SELECT merged_into FROM individual WHERE id = ?", arguments: [pa1]) }
        XCTAssertEqual(row?["merged_into"] as String?, global)
        let name = try await a.database.pool.read { try String.fetchOne($0, sql: "SELECT name FROM individual WHERE id = ?", arguments: [global]) }
        XCTAssertEqual(name, "Splash")
        // A third sync changes nothing (the cursor holds).
        let cursor = try SyncOutbox(database: a.database).status().catalogCursor
        XCTAssertEqual(try runTool("flukewatch", ["sync", "--once", "--config", a.configPath]).status, 0)
        XCTAssertEqual(try SyncOutbox(database: a.database).status().catalogCursor, cursor)
    }
}
