import FlukeAPI
import FlukeCore
import FlukeStore
import Foundation
import XCTest

/// The hub on a real PostgreSQL server that fails under it: the hub SIGKILLed, the server
/// crashed (SIGQUIT, an immediate shutdown: recovery at restart) and restarted cleanly while the hub
/// keeps running, all mid-sync. Each test that restarts the server has a server of its own.
final class HubPostgresFaultTests: XCTestCase {
    let http = TestHTTP()

    func testHubKilledAndPostgresRestartedMidSyncLoseNothingAndCountNothingTwice() throws {
        let cluster = try PostgresCluster()
        let hub = try HubUnderTest(backend: .postgres(cluster))
        try hub.start()
        defer { hub.stop() }
        let token = try hub.addToken("station", "boat-a")
        let station = try TestStation("boat-a")
        try station.addReviewedSightings(120)
        // Small rounds (about four items each) so every fault lands mid-drain.
        try station.writeConfig(hubURL: hub.url, token: token, maxBytesPerRound: 6000, batchItems: 4)
        let logPath = station.root.appendingPathComponent("sync.log").path
        let sync = try BackgroundProcess("flukewatch", ["sync", "--config", station.configPath], logPath: logPath)
        var rng2 = SystemRandomNumberGenerator()
        for round in 0..<9 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.2...0.6, using: &rng2))
            switch round % 3 {
            case 0:    // the hub dies with transactions open; PostgreSQL rolls them back
                hub.kill9()
                Thread.sleep(forTimeInterval: 0.3)
                try hub.start()
            case 1:    // the server crashes under a running hub, which must reconnect by itself
                try cluster.stop(immediate: true)
                Thread.sleep(forTimeInterval: 0.5)
                try cluster.start()
            default:   // a clean server restart (an upgrade, a failover) under a running hub
                try cluster.stop()
                try cluster.start()
            }
        }
        sync.kill9()
        // The hub's pool may still be backing off from the last restart: the station retries,
        // as its timer would, until a round succeeds (the test fails if none does in 60 s).
        var done = try runTool("flukewatch", ["sync", "--once", "--config", station.configPath])
        let deadline = Date().addingTimeInterval(60)
        while done.status != 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 1)
            done = try runTool("flukewatch", ["sync", "--once", "--config", station.configPath])
        }
        XCTAssertEqual(done.status, 0, String((done.stderr + done.stdout).suffix(1500)) + "\nhub: " + String(hub.process!.log.suffix(3000)))

        let expected = try station.syncItems()
        XCTAssertEqual(expected.count, 120 + 40 + 120, "a sighting and a decision per photo, a candidate per new whale")
        let held = try hub.items()
        XCTAssertEqual(held.count, expected.count, "none twice, none lost")
        XCTAssertEqual(Set(held), Set(expected.map { "boat-a/\($0)" }), "exactly the station's items")
        // Every item was also filed exactly once into the tables curators read.
        let database = PostgresCluster.databaseName(hub.postgresURL!)
        XCTAssertEqual(try cluster.psql(database, "SELECT (SELECT COUNT(*) FROM sighting) || ' ' || (SELECT COUNT(*) FROM candidate) || ' ' || (SELECT COUNT(*) FROM review_decision)"),
                       ["120 40 120"])
        XCTAssertEqual(try cluster.psql(database, "SELECT COUNT(*) FROM sighting WHERE review_state = 'open'"), ["0"],
                       "every sighting carries its decision, whichever arrived first")
        let status = try SyncOutbox(database: station.database).status()
        XCTAssertEqual(status.outbox, 0)
        XCTAssertEqual(status.parked, 0)
        XCTAssertEqual(status.acknowledged, 120)
        // The faults were real: rounds failed and were retried, and the server ran crash recovery.
        XCTAssertTrue(sync.log.contains("sync failed"), String(sync.log.suffix(2000)))
        let serverLog = (try? String(contentsOfFile: cluster.logPath, encoding: .utf8)) ?? ""
        XCTAssertTrue(serverLog.contains("automatic recovery in progress"), String(serverLog.suffix(2000)))
        try cluster.stop()
    }

    /// Two hub replicas on one database receive the same batches at the same time (a station
    /// retrying through a load balancer): each item is accepted exactly once, the rest are
    /// duplicates, nothing fails; and curators promoting on both replicas at once get distinct ids.
    func testTwoReplicasOnOneDatabaseAcceptEachItemOnce() async throws {
        let cluster = try PostgresCluster.shared()
        let first = try HubUnderTest(backend: .postgres(cluster))
        try first.start()
        defer { first.stop() }
        let token = try first.addToken("station", "boat-a")
        let curator = try first.addToken("curator", "carla")
        let second = try HubUnderTest(backend: .postgres(cluster), sharing: first)
        try second.start()
        defer { second.stop() }

        let items: [SyncItem] = (0..<40).flatMap { i -> [SyncItem] in
            let sighting = SyncItem.sighting(SightingItem(itemID: "s-\(i)", photoSHA256: String(repeating: "c", count: 64),
                                                          capturedAt: "2026-07-14T09:00:00Z", camera: "bow", decision: .new,
                                                          embedding: WireEmbedding(modelVersion: "m1", vector: [Float(i), 1, 0])))
            let candidate = SyncItem.candidate(CandidateItem(itemID: "P-boat-a-\(String(format: "%04d", i))", sightingID: "s-\(i)",
                                                             createdAt: "2026-07-14T09:00:00Z",
                                                             embedding: WireEmbedding(modelVersion: "m1", vector: [Float(i), 1, 0])))
            return [sighting, candidate]
        }
        let body = try WireCoding.encode(Batch(items: items))
        let http = self.http
        let answers = try await withThrowingTaskGroup(of: HTTPAnswer.self) { group in
            for n in 0..<8 {
                let url = (n % 2 == 0 ? first : second).url + HubPath.batches(station: "boat-a")
                group.addTask { try await http.send(.POST, url, token: token, body: body) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(answers.map(\.status), Array(repeating: 200, count: 8), answers.map(\.text).joined(separator: "\n"))
        let statuses = answers.flatMap { ($0.json["results"] as? [[String: String]] ?? []).compactMap { $0["status"] } }
        XCTAssertEqual(statuses.filter { $0 == "accepted" }.count, items.count, "each item accepted once, by one replica")
        XCTAssertEqual(statuses.filter { $0 == "duplicate" }.count, items.count * 7)
        XCTAssertEqual(try first.items().count, items.count)

        let promotions = try await withThrowingTaskGroup(of: HTTPAnswer.self) { group in
            for i in 0..<6 {
                let url = (i % 2 == 0 ? first : second).url + HubPath.promote
                let request = PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: "P-boat-a-\(String(format: "%04d", i))")])
                let body = try WireCoding.encode(request)
                group.addTask { try await http.send(.POST, url, token: curator, body: body) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(promotions.map(\.status), Array(repeating: 200, count: 6), promotions.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(Set(promotions.compactMap { $0.json["individual_id"] as? String }),
                       Set((1...6).map { String(format: "FW-%05d", $0) }), "dense, distinct ids")
        // The change log has no gap a station's cursor could skip.
        let changes = try await http.send(.GET, second.url + HubPath.changes + "?limit=500", token: token)
        let seqs = (changes.json["changes"] as? [[String: Any]] ?? []).compactMap { ($0["seq"] as? Int).map(Int64.init) }
        XCTAssertEqual(seqs, Array(1...Int64(seqs.count)), changes.text)
        XCTAssertEqual(seqs.count, 6 * 3, "an individual, an assignment and a reference embedding per promotion")
    }
}
