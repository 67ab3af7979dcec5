import FlukeAPI
import FlukeStore
import Foundation
import XCTest

/// A station that undoes a new-individual decision takes its candidate back from the hub.
class CandidateWithdrawalTests: XCTestCase {
    let http = TestHTTP()

    /// The hub's storage; `CandidateWithdrawalPostgresTests` runs the same tests on PostgreSQL.
    func makeBackend() throws -> HubBackend { .sqlite }

    func candidates(_ hub: HubUnderTest, curator: String, status: String? = nil) async throws -> [Candidate] {
        let answer = try await http.send(.GET, hub.url + HubPath.candidates + (status.map { "?status=\($0)" } ?? ""), token: curator)
        XCTAssertEqual(answer.status, 200, answer.text)
        return try WireCoding.decodeStrictly(CandidatePage.self, from: answer.body).candidates
    }

    func sync(_ station: TestStation) throws {
        let r = try runTool("flukewatch", ["sync", "--once", "--config", station.configPath])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
    }

    /// Undone after it reached the hub, and undone before it was ever sent: both candidates leave
    /// the open list. Deciding "new whale" again gives a fresh provisional id the hub takes
    /// without a conflict, and nothing is set aside on the station.
    func testUndoneNewIndividualIsWithdrawnFromTheCuratorsList() async throws {
        let hub = try HubUnderTest(backend: try makeBackend())
        try hub.start()
        defer { hub.stop() }
        let station = try TestStation("boat-a")
        try station.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-a"))
        let curator = try hub.addToken("curator", "carla")
        var rng = SystemRandomNumberGenerator()
        let first = try station.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        let second = try station.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        XCTAssertEqual(try station.newIndividual(first), "P-boat-a-0001")
        XCTAssertEqual(try station.newIndividual(second), "P-boat-a-0002")
        try sync(station)
        let before = try await candidates(hub, curator: curator, status: "open")
        XCTAssertEqual(before.map(\.provisionalID), ["P-boat-a-0001", "P-boat-a-0002"])

        _ = try ReviewLog(database: station.database).undo("\(first)", reviewer: "ana")
        try sync(station)
        let open = try await candidates(hub, curator: curator, status: "open")
        XCTAssertEqual(open.map(\.provisionalID), ["P-boat-a-0002"])
        let all = try await candidates(hub, curator: curator)
        XCTAssertEqual(all.first { $0.provisionalID == "P-boat-a-0001" }?.status, .rejected, "withdrawn, kept for the record")

        // A third whale decided and undone between two syncs: candidate and undo arrive together.
        let third = try station.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        XCTAssertEqual(try station.newIndividual(third), "P-boat-a-0003")
        _ = try ReviewLog(database: station.database).undo("\(third)", reviewer: "ana")
        // And the first photo is a new whale after all: a fresh id, never the withdrawn one.
        XCTAssertEqual(try station.newIndividual(first), "P-boat-a-0004")
        try sync(station)
        let reopened = try await candidates(hub, curator: curator, status: "open")
        XCTAssertEqual(reopened.map(\.provisionalID), ["P-boat-a-0002", "P-boat-a-0004"])
        XCTAssertEqual(try SyncOutbox(database: station.database).status().parked, 0)
        // Withdrawn candidates no longer group with look-alikes.
        let groups = try await http.send(.GET, hub.url + HubPath.candidateGroups + "?min_similarity=-1", token: curator)
        let grouped = try WireCoding.decodeStrictly(CandidateGroups.self, from: groups.body).groups.flatMap(\.candidates)
        XCTAssertFalse(grouped.contains { ["P-boat-a-0001", "P-boat-a-0003"].contains($0.provisionalID) }, groups.text)
    }

    /// Once a curator has promoted a candidate, a station's late undo does not silently unmake
    /// a global individual: the candidate stays promoted.
    func testUndoAfterPromotionLeavesTheCuratorsDecision() async throws {
        let hub = try HubUnderTest(backend: try makeBackend())
        try hub.start()
        defer { hub.stop() }
        let station = try TestStation("boat-a")
        try station.writeConfig(hubURL: hub.url, token: try hub.addToken("station", "boat-a"))
        let curator = try hub.addToken("curator", "carla")
        var rng = SystemRandomNumberGenerator()
        let s = try station.addSighting(decision: .new, feature: Vectors.random(64, seed: &rng))
        let provisional = try station.newIndividual(s)
        try sync(station)
        let promoted = try await http.send(.POST, hub.url + HubPath.promote, token: curator, body: try WireCoding.encode(
            PromoteRequest(candidates: [CandidateRef(stationID: "boat-a", provisionalID: provisional)])))
        XCTAssertEqual(promoted.status, 200, promoted.text)
        _ = try ReviewLog(database: station.database).undo("\(s)", reviewer: "ana")
        try sync(station)
        let all = try await candidates(hub, curator: curator)
        XCTAssertEqual(all.map(\.status), [.promoted])
        XCTAssertEqual(try SyncOutbox(database: station.database).status().parked, 0)
    }
}
