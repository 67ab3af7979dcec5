import FlukeAPI
import FlukeStore
import Foundation
import GRDB
import XCTest

/// A real station (`flukewatch sync`) and a real hub (`flukewatch-hub serve`) with a `FaultProxy`
/// between them that breaks the link mid-request, mid-response, or by never answering. After
/// each fault, with the link healed, the hub must hold exactly the station's items.
final class SyncFaultTests: XCTestCase {
    static let batch = "POST /v1/stations/"

    /// Batches cut after 300 bytes (headers and the start of the JSON body) and crop uploads cut
    /// after 1000 bytes: the hub must store nothing of a half request, and the station resends.
    func testConnectionCutMidRequestLosesNothing() throws {
        let h = try FaultHarness()
        defer { h.close() }
        try h.review(12)
        h.proxy.inject(.cutRequest(afterBytes: 300), trigger: Self.batch, times: 3)
        let first = try h.syncOnce()
        XCTAssertEqual(first.status, 0, first.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 3, "the batch cuts happened")
        let error = try XCTUnwrap(try h.lastError(), "the failed rounds were recorded for `flukewatch status`")
        XCTAssertTrue(error.contains("unreachable"), error)
        try h.assertHubHoldsExactlyTheStationsItems()

        // New photos: their thumbnails' uploads are cut halfway (a crop is ~3 KB).
        try h.review(6)
        h.proxy.inject(.cutRequest(afterBytes: 1000), trigger: "PUT /v1/crops/", times: 3)
        let second = try h.syncOnce()
        XCTAssertEqual(second.status, 0, second.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 6)
        try h.assertHubHoldsExactlyTheStationsItems()
        XCTAssertTrue(try h.hubCropsMatchTheStationsThumbnails())
    }

    /// The hub commits each batch, then its answer is cut: after its status line began (12 bytes)
    /// and before a byte of it left (0 bytes). The station cannot know the batch arrived, sends
    /// it again, and the hub answers "duplicate" instead of storing it twice.
    func testConnectionCutMidResponseDeliversTheBatchTwiceButStoresItOnce() throws {
        let h = try FaultHarness()
        defer { h.close() }
        try h.review(9)
        h.proxy.inject(.cutResponse(afterBytes: 12), trigger: Self.batch, times: 2)
        let first = try h.syncOnce()
        XCTAssertEqual(first.status, 0, first.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 2)
        XCTAssertGreaterThan(FaultHarness.alreadyHeld(first.stdout), 0, "the resent batch was not a duplicate: \(first.stdout.suffix(2000))")
        try h.assertHubHoldsExactlyTheStationsItems()

        try h.review(9)
        h.proxy.inject(.cutResponse(afterBytes: 0), trigger: Self.batch, times: 1)
        let second = try h.syncOnce()
        XCTAssertEqual(second.status, 0, second.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 3)
        // All 9 photos' items went in one batch, were committed, and came back as duplicates.
        XCTAssertEqual(FaultHarness.alreadyHeld(second.stdout), 9 + 3 + 9, second.stdout.suffix(2000).description)
        try h.assertHubHoldsExactlyTheStationsItems()
    }

    /// The hub's answers are swallowed and the connection held open: the station's 1-second
    /// timeout must fire (a station must never hang on a dead link), and its resends are
    /// duplicates. Then the catalog pull stalls, after the batch went through.
    func testStalledResponsesTimeOutAndTheResendIsADuplicate() throws {
        let h = try FaultHarness(timeoutSeconds: 1)
        defer { h.close() }
        try h.review(6)
        h.proxy.inject(.stallResponse, trigger: Self.batch, times: 2)
        let started = Date()
        let first = try h.syncOnce(within: 60)
        XCTAssertEqual(first.status, 0, first.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 2)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 2, "two timeouts of a second each")
        let error = try XCTUnwrap(try h.lastError())
        XCTAssertTrue(error.contains("no answer within 1 s ([hub] timeout_seconds)"), "the operator is told the hub did not answer in time: \(error)")
        XCTAssertGreaterThan(FaultHarness.alreadyHeld(first.stdout), 0, first.stdout.suffix(2000).description)
        try h.assertHubHoldsExactlyTheStationsItems()

        try h.review(3)
        h.proxy.inject(.stallResponse, trigger: "GET /v1/catalog/changes", times: 2)
        let second = try h.syncOnce(within: 60)
        XCTAssertEqual(second.status, 0, second.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 4)
        try h.assertHubHoldsExactlyTheStationsItems()
    }

    /// The daemon's sync loop (`flukewatch sync`, no --once) on a link that keeps failing every
    /// way for a while: every batch cut, stalled or its answer lost, in turn. Once the link heals
    /// the station drains on its own, with nobody restarting it.
    func testDaemonSyncOnAFlappingLinkDrainsOnceHealed() throws {
        let h = try FaultHarness(timeoutSeconds: 1, maxBytesPerRound: 8000, batchItems: 4)
        defer { h.close() }
        try h.review(45)
        let log = h.station.root.appendingPathComponent("daemon.log").path
        let daemon = try BackgroundProcess("flukewatch", ["sync", "--config", h.station.configPath], logPath: log)
        defer { daemon.terminate() }
        let faults: [FaultProxy.Fault] = [.cutRequest(afterBytes: 500), .cutResponse(afterBytes: 0), .stallResponse, .cutResponse(afterBytes: 40)]
        for fault in faults {
            h.proxy.inject(fault, trigger: Self.batch, times: 2)
            let deadline = Date().addingTimeInterval(20)
            while h.proxy.fired < 2 * (faults.firstIndex(of: fault)! + 1), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertEqual(h.proxy.fired, 8, "every fault hit the daemon: \(daemon.log.suffix(2000))")
        h.proxy.heal()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let unsent = try h.station.database.pool.read {
                try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sync_item WHERE acknowledged_at IS NULL") ?? 0
            }
            if unsent == 0 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertTrue(daemon.process.isRunning, "the daemon's sync loop survived the faults")
        XCTAssertTrue(daemon.log.contains("sync failed"), daemon.log.suffix(2000).description)
        try h.assertHubHoldsExactlyTheStationsItems()
    }

    /// The catalog's changes cut mid-answer (after 200 bytes: inside the JSON page). The station
    /// applies nothing of a half page; once the link heals it applies every change exactly once,
    /// and its cursor stands at the hub's last change.
    func testCatalogPullCutMidResponseAppliesEachChangeOnce() async throws {
        let h = try FaultHarness()
        defer { h.close() }
        try h.review(6)   // photos 1 and 4 are new whales: P-boat-a-0001 and P-boat-a-0002
        XCTAssertEqual(try h.syncOnce().status, 0)
        let curator = try h.hub.addToken("curator", "carla")
        for provisional in ["P-boat-a-0001", "P-boat-a-0002"] {
            let promoted = try await TestHTTP().send(.POST, h.hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
                PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: provisional)])))
            XCTAssertEqual(promoted.status, 200, promoted.text)
        }
        h.proxy.inject(.cutResponse(afterBytes: 200), trigger: "GET /v1/catalog/changes", times: 2)
        let pulled = try h.syncOnce()
        XCTAssertEqual(pulled.status, 0, pulled.stdout.suffix(2000).description)
        XCTAssertEqual(h.proxy.fired, 2)

        let last = try await DatabaseQueue(path: h.hub.db).read { try Int64.fetchOne($0, sql: "SELECT MAX(seq) FROM catalog_change") }
        XCTAssertEqual(try SyncOutbox(database: h.station.database).status().catalogCursor, try XCTUnwrap(last))
        try await h.station.database.pool.read { db in
            for (provisional, global) in [("P-boat-a-0001", "FW-00001"), ("P-boat-a-0002", "FW-00002")] {
                XCTAssertEqual(try String.fetchOne(db, sql: "SELECT merged_into FROM individual WHERE id = ?", arguments: [provisional]), global)
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sighting WHERE individual_id = ?", arguments: [global]), 1)
                // Each reference embedding once, though its page was fetched three times.
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog_photo WHERE individual_id = ?", arguments: [global]), 1)
            }
        }
    }
}

extension FaultHarness {
    /// What `flukewatch status` shows as the last sync error.
    func lastError() throws -> String? { try SyncOutbox(database: station.database).status().lastError }

    /// Every crop the hub holds is byte for byte a thumbnail of the station (no half uploads kept).
    func hubCropsMatchTheStationsThumbnails() throws -> Bool {
        let hubDB = try DatabaseQueue(path: hub.db)
        let crops = try hubDB.read { try Row.fetchAll($0, sql: "SELECT sha256, bytes FROM crop") }
        XCTAssertFalse(crops.isEmpty, "no crop reached the hub")
        for crop in crops {
            let bytes: Data = crop["bytes"]
            let path = station.root.appendingPathComponent("state/thumbnails").path
            let files = try FileManager.default.contentsOfDirectory(atPath: path)
            guard files.contains(where: { FileManager.default.contents(atPath: path + "/" + $0) == bytes }) else {
                XCTFail("the hub holds crop \(crop["sha256"] as String) that is no thumbnail of the station")
                return false
            }
        }
        return true
    }
}
