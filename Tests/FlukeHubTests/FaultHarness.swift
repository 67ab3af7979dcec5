import FlukeStore
import FlukeTestSupport
import Foundation
import GRDB
import XCTest

/// A hub, a station and a `FaultProxy` between them, and the check every fault test ends with.
final class FaultHarness {
    let hub: HubUnderTest
    let proxy: FaultProxy
    let station: TestStation
    private var photos = 0
    private var rng = SystemRandomNumberGenerator()

    /// `timeoutSeconds` is the station's whole-request timeout: short, so stalls cost little.
    init(stationID: String = "boat-a", timeoutSeconds: Int = 2, maxBytesPerRound: Int = 1 << 20, batchItems: Int = 200) throws {
        hub = try HubUnderTest()
        try hub.start()
        proxy = try FaultProxy(upstreamPort: hub.port)
        station = try TestStation(stationID)
        try station.writeConfig(hubURL: proxy.url, token: try hub.addToken("station", stationID),
                                maxBytesPerRound: maxBytesPerRound, batchItems: batchItems)
        let config = try String(contentsOfFile: station.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "timeout_seconds = 5", with: "timeout_seconds = \(timeoutSeconds)")
            .write(toFile: station.configPath, atomically: true, encoding: .utf8)
    }

    func close() {
        proxy.stop()
        hub.stop()
    }

    /// Reviews `count` more photos: every third a new whale (sighting, candidate, decision), the
    /// others confirmed matches (sighting, decision).
    func review(_ count: Int) throws {
        for _ in 0..<count {
            let isNew = photos % 3 == 0
            photos += 1
            let s = try station.addSighting(decision: isNew ? .new : .match, feature: Vectors.random(64, seed: &rng),
                                            candidates: isNew ? [] : [("HW-1", 0.9)])
            if isNew { _ = try station.newIndividual(s) } else { try station.confirm(s) }
        }
    }

    /// `flukewatch sync --once` through the proxy, killed if it runs past `seconds` (a hung sync
    /// is a failure this test must report, not wait out).
    func syncOnce(within seconds: Double = 120) throws -> CommandResult {
        let log = station.root.appendingPathComponent("sync-\(UUID().uuidString.prefix(6)).log").path
        let p = try BackgroundProcess("flukewatch", ["sync", "--once", "--config", station.configPath], logPath: log)
        let deadline = Date().addingTimeInterval(seconds)
        while p.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.process.isRunning {
            p.kill9()
            return CommandResult(status: -1, stdout: "", stderr: "sync --once still running after \(seconds) s\n" + p.log)
        }
        return CommandResult(status: p.process.terminationStatus, stdout: p.log, stderr: "")
    }

    /// Items the station's sync rounds reported as already held by the hub (resends).
    static func alreadyHeld(_ log: String) -> Int {
        log.matches(of: /(\d+) already held/).reduce(0) { $0 + (Int($1.1) ?? 0) }
    }

    /// The end state every fault must leave: the station's outbox drained with nothing set aside,
    /// and the hub holding exactly the station's items — same ids, same kinds, same bytes — with
    /// one sighting row per sighting item and one candidate per candidate item.
    func assertHubHoldsExactlyTheStationsItems(file: StaticString = #filePath, line: UInt = #line) throws {
        let stationItems = try station.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT item_id, kind, body, acknowledged_at FROM sync_item ORDER BY id")
        }
        XCTAssertFalse(stationItems.isEmpty, "the station queued nothing: the test proves nothing", file: file, line: line)
        let unacknowledged = stationItems.filter { ($0["acknowledged_at"] as Double?) == nil }.map { $0["item_id"] as String }
        XCTAssertEqual(unacknowledged, [], "items the station still waits to send", file: file, line: line)
        let status = try SyncOutbox(database: station.database).status()
        XCTAssertEqual(status.outbox, 0, "outbox rows waiting", file: file, line: line)
        XCTAssertEqual(status.parked, 0, "items set aside", file: file, line: line)

        let hubDB = try DatabaseQueue(path: hub.db)
        let held = try hubDB.read { db in
            try Row.fetchAll(db, sql: "SELECT station, item_id, kind, content FROM item ORDER BY item_id")
        }
        XCTAssertEqual(held.count, stationItems.count, "none lost, none twice", file: file, line: line)
        let heldByID = Dictionary(held.map { ($0["item_id"] as String, $0) }, uniquingKeysWith: { a, _ in a })
        for item in stationItems {
            let id: String = item["item_id"]
            guard let h = heldByID[id] else {
                XCTFail("the hub lost \(item["kind"] as String) \(id)", file: file, line: line)
                continue
            }
            XCTAssertEqual(h["station"] as String, station.id, file: file, line: line)
            XCTAssertEqual(h["kind"] as String, item["kind"] as String, id, file: file, line: line)
            XCTAssertEqual(h["content"] as String, item["body"] as String, "the hub holds \(id) with other bytes", file: file, line: line)
        }
        let ids = { (kind: String) in Set(stationItems.filter { ($0["kind"] as String) == kind }.map { $0["item_id"] as String }) }
        let sightings = try hubDB.read { try String.fetchAll($0, sql: "SELECT uuid FROM sighting WHERE station = ?", arguments: [station.id]) }
        let candidates = try hubDB.read {
            try String.fetchAll($0, sql: "SELECT provisional_id FROM candidate WHERE station = ?", arguments: [station.id])
        }
        XCTAssertEqual(sightings.count, Set(sightings).count, "a sighting stored twice", file: file, line: line)
        XCTAssertEqual(Set(sightings), ids("sighting"), file: file, line: line)
        XCTAssertEqual(candidates.count, Set(candidates).count, "a candidate stored twice", file: file, line: line)
        XCTAssertEqual(Set(candidates), ids("candidate"), file: file, line: line)
        // Every sighting the station confirmed or named is reviewed on the hub too.
        let open = try hubDB.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sighting WHERE review_state = 'open'") ?? -1 }
        XCTAssertEqual(open, 0, "sightings whose decision the hub lacks", file: file, line: line)
    }
}
