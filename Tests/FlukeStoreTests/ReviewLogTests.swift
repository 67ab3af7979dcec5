import FlukeCore
import FlukeStore
import GRDB
import XCTest

final class ReviewLogTests: XCTestCase {
    var db: StationDatabase!
    var fixture: ReviewFixture!
    var log: ReviewLog!

    override func setUpWithError() throws {
        fixture = try ReviewFixture.saltAndPepper()
        db = fixture.database
        log = ReviewLog(database: db)
    }

    func outbox() throws -> [Row] {
        try db.pool.read { try Row.fetchAll($0, sql: "SELECT * FROM sync_outbox ORDER BY id") }
    }

    func payload(_ row: Row) throws -> [String: Any] {
        let text: String = row["payload_json"]
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func testConfirmChangesTheSightingLogsBeforeAndAfterAndQueuesTheOutboxItem() throws {
        let id = try fixture.addSighting(1, decision: .uncertain, candidates: [("HW-1", 0.71), ("HW-2", 0.60)])
        let at = Date(timeIntervalSince1970: 1_784_100_000)
        let record = try log.decide("#\(id)", .confirm(individual: nil), reviewer: "ana", at: at)
        XCTAssertEqual(record.action, .confirm)
        XCTAssertEqual(record.before, SightingReview(state: .open, individualID: "HW-1"))
        XCTAssertEqual(record.after, SightingReview(state: .confirmed, individualID: "HW-1", reviewer: "ana",
                                                    reviewedAt: at.timeIntervalSince1970))

        let row = try fixture.sightingRow(id)
        XCTAssertEqual(row["review_state"] as String, "confirmed")
        XCTAssertEqual(row["reviewed_by"] as String, "ana")
        XCTAssertEqual(row["decision"] as String, "uncertain", "the machine's call is kept")

        let items = try outbox()
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items[0]["item_id"] as String, record.uuid)
        XCTAssertEqual(items[0]["kind"] as String, "review-decision")
        let p = try payload(items[0])
        XCTAssertEqual(p["action"] as? String, "confirm")
        XCTAssertEqual(p["individual_id"] as? String, "HW-1")
        XCTAssertEqual(p["state"] as? String, "confirmed")
        XCTAssertEqual(p["reviewer"] as? String, "ana")
        XCTAssertEqual(p["decided_at"] as? String, "2026-07-15T07:20:00Z")
        XCTAssertEqual(p["sighting_uuid"] as? String, row["uuid"] as String)
    }

    /// The decision and its outbox item are one transaction: when the outbox write fails, the
    /// sighting and the log are left exactly as they were.
    func testAFailedOutboxWriteLeavesNoDecisionBehind() throws {
        let id = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.93)])
        try db.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER outbox_full BEFORE INSERT ON sync_outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        XCTAssertThrowsError(try log.decide("\(id)", .reject(reason: "unusable"), reviewer: "ana"))
        XCTAssertEqual(try fixture.sightingRow(id)["review_state"] as String, "open")
        XCTAssertEqual(try fixture.count("review_decision"), 0)
        XCTAssertEqual(try fixture.count("sync_outbox"), 0)
    }

    func testReassignByNameOrIdAndRefuseUnknownOrAmbiguousIndividuals() throws {
        let first = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.93), ("HW-2", 0.4)])
        let second = try fixture.addSighting(2, decision: .match, candidates: [("HW-1", 0.91)])
        let reassigned = try log.decide("\(first)", .confirm(individual: "pepper"), reviewer: "ana")
        XCTAssertEqual(reassigned.action, .reassign)
        XCTAssertEqual(reassigned.after.individualID, "HW-2")
        // Naming the top candidate explicitly is a plain confirmation.
        XCTAssertEqual(try log.decide("\(second)", .confirm(individual: "HW-1"), reviewer: "ana").action, .confirm)

        let third = try fixture.addSighting(3, decision: .uncertain, candidates: [("HW-1", 0.7)])
        XCTAssertThrowsError(try log.decide("\(third)", .confirm(individual: "Pepperr"), reviewer: "ana")) { error in
            XCTAssertEqual(error as? ReviewError, .unknownIndividual("Pepperr", sighting: third))
            XCTAssertTrue("\(error)".contains("review new \(third)"), "\(error)")
        }
        try fixture.addIndividual("HW-3", name: "Pepper")
        XCTAssertThrowsError(try log.decide("\(third)", .confirm(individual: "Pepper"), reviewer: "ana")) { error in
            XCTAssertEqual(error as? ReviewError, .ambiguousIndividualName("Pepper", ids: ["HW-2", "HW-3"]))
        }
        XCTAssertEqual(try fixture.sightingRow(third)["review_state"] as String, "open")
    }

    func testUnknownSightingsAndAlreadyDecidedOnesAreRefusedWithWhatToDo() throws {
        XCTAssertThrowsError(try log.decide("42", .confirm(individual: nil), reviewer: "ana")) { error in
            XCTAssertEqual(error as? ReviewError, .unknownSighting("#42"))
            XCTAssertTrue("\(error)".contains("review list"), "\(error)")
        }
        XCTAssertThrowsError(try log.decide("not-a-uuid", .confirm(individual: nil), reviewer: "ana"))
        let id = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.93)])
        let uuid: String = try fixture.sightingRow(id)["uuid"]
        _ = try log.decide(uuid.uppercased(), .reject(reason: "no fluke"), reviewer: "ana")
        XCTAssertThrowsError(try log.decide("\(id)", .confirm(individual: nil), reviewer: "bo")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("already rejected by ana"), text)
            XCTAssertTrue(text.contains("flukewatch review undo \(id)"), text)
        }
        XCTAssertThrowsError(try log.decide("\(id)", .reject(reason: "  "), reviewer: "ana"))
        XCTAssertThrowsError(try log.decide("\(id)", .confirm(individual: nil), reviewer: "auto")) { error in
            XCTAssertEqual(error as? ReviewError, .reservedReviewer("auto"))
        }
        XCTAssertEqual(try fixture.count("review_decision"), 1)
    }

    func testNewSightingWithoutCandidatesCannotBeConfirmedButCanBeNamedNew() throws {
        let id = try fixture.addSighting(1, decision: .awaitingIdentification, candidates: [])
        XCTAssertThrowsError(try log.decide("\(id)", .confirm(individual: nil), reviewer: "ana")) { error in
            XCTAssertEqual(error as? ReviewError, .noCandidate(sighting: id))
        }
        XCTAssertThrowsError(try log.decide("\(id)", .newIndividual(name: "salt", idPrefix: "P-boat-"), reviewer: "ana")) { error in
            XCTAssertEqual(error as? ReviewError, .nameTaken("salt", by: "HW-1"))
        }
        let made = try log.decide("\(id)", .newIndividual(name: "Splash", idPrefix: "P-boat-"), reviewer: "ana")
        XCTAssertEqual(made.action, .newIndividual)
        XCTAssertEqual(made.createdIndividual, "P-boat-0001")
        let individual = try db.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM individual WHERE id = 'P-boat-0001'") }
        XCTAssertEqual(individual?["name"] as String?, "Splash")
        XCTAssertEqual(individual?["is_provisional"] as Bool?, true)
        let p = try payload(try XCTUnwrap(try outbox().last))
        XCTAssertEqual((p["provisional_individual"] as? [String: Any])?["id"] as? String, "P-boat-0001")
    }

    func testUndoRestoresThePreviousStateIsLoggedAndNeverReusesAProvisionalID() throws {
        let id = try fixture.addSighting(1, decision: .new, candidates: [("HW-1", 0.2)])
        let made = try log.decide("\(id)", .newIndividual(name: nil, idPrefix: "P-boat-"), reviewer: "ana")
        let undone = try log.undo("\(id)", reviewer: "bo")
        XCTAssertEqual(undone.action, .undo)
        XCTAssertEqual(undone.undoes, made.id)
        XCTAssertEqual(undone.after, made.before)
        let row = try fixture.sightingRow(id)
        XCTAssertEqual(row["review_state"] as String, "open")
        XCTAssertNil(row["individual_id"] as String?)
        XCTAssertNil(row["reviewed_by"] as String?)
        // The provisional whale the reverted decision made is gone again…
        XCTAssertEqual(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM individual WHERE is_provisional") }, 0)
        // …and both facts travel to the hub, the undo naming what it reverts.
        let items = try outbox()
        XCTAssertEqual(items.count, 2)
        XCTAssertEqual(try payload(items[1])["undoes"] as? String, made.uuid)
        XCTAssertEqual(try payload(items[1])["state"] as? String, "open")

        XCTAssertThrowsError(try log.undo("\(id)", reviewer: "bo")) { error in
            XCTAssertEqual(error as? ReviewError, .nothingToUndo(sighting: id))
        }
        let again = try log.decide("\(id)", .newIndividual(name: nil, idPrefix: "P-boat-"), reviewer: "ana")
        XCTAssertEqual(again.createdIndividual, "P-boat-0002")
        XCTAssertEqual(try log.history("\(id)").map(\.action), [.newIndividual, .undo, .newIndividual])
    }

    func testTheReviewLogIsAppendOnly() throws {
        let id = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.93)])
        _ = try log.decide("\(id)", .confirm(individual: nil), reviewer: "ana")
        XCTAssertThrowsError(try db.pool.write { try $0.execute(sql: "UPDATE review_decision SET reviewer = 'mallory'") })
        XCTAssertThrowsError(try db.pool.write { try $0.execute(sql: "DELETE FROM review_decision") })
        XCTAssertEqual(try log.history("\(id)").first?.reviewer, "ana")
    }

    func testAutoConfirmTakesOnlyConfidentMatchesAndNeverOneAPersonUndid() throws {
        let confident = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.95)])
        let justBelow = try fixture.addSighting(2, decision: .match, candidates: [("HW-2", 0.90)])
        let uncertain = try fixture.addSighting(3, decision: .uncertain, candidates: [("HW-1", 0.97)])
        let auto = try XCTUnwrap(try log.confirmAutomatically(sightingID: confident, scoreAbove: 0.9))
        XCTAssertEqual(auto.reviewer, "auto")
        XCTAssertTrue(auto.after.autoConfirmed)
        XCTAssertEqual(try fixture.sightingRow(confident)["auto_confirmed"] as Bool, true)
        XCTAssertNil(try log.confirmAutomatically(sightingID: justBelow, scoreAbove: 0.9), "strictly above the threshold")
        XCTAssertNil(try log.confirmAutomatically(sightingID: uncertain, scoreAbove: 0.9), "only the machine's matches")
        XCTAssertEqual(try payload(try XCTUnwrap(try outbox().first))["auto_confirmed"] as? Bool, true)

        _ = try log.undo("\(confident)", reviewer: "ana")
        XCTAssertNil(try log.confirmAutomatically(sightingID: confident, scoreAbove: 0.9))
        XCTAssertEqual(try fixture.sightingRow(confident)["review_state"] as String, "open")
    }

    func testReviewQueuePutsUncertainThenNewThenMatchesAndHidesDecidedOnes() throws {
        let match = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.95)])
        let waiting = try fixture.addSighting(2, decision: .awaitingIdentification, candidates: [])
        let new = try fixture.addSighting(3, decision: .new, candidates: [("HW-2", 0.1)])
        let uncertain = try fixture.addSighting(4, decision: .uncertain, candidates: [("HW-2", 0.7), ("HW-1", 0.6)])
        let rejected = try fixture.addSighting(5, decision: .uncertain, candidates: [("HW-2", 0.7)])
        _ = try log.decide("\(rejected)", .reject(reason: "unusable"), reviewer: "ana")
        let queries = StationQueries(database: db)
        XCTAssertEqual(try queries.reviewQueue().map(\.id), [uncertain, new, match, waiting])
        let first = try XCTUnwrap(try queries.reviewQueue().first)
        XCTAssertEqual(first.candidates.map(\.name), ["Pepper", "Salt"])
        XCTAssertEqual(try queries.reviewQueue(includeDecided: true).map(\.id), [uncertain, new, match, waiting, rejected])
    }

    func testExportQueryKeepsSightingsCapturedInAHalfOpenWindow() throws {
        for n in UInt8(1)...4 { try fixture.addSighting(n, decision: .match, candidates: [("HW-1", 0.9)]) }
        // Photo n was captured at 1_784_030_400 + n seconds.
        let since = Date(timeIntervalSince1970: 1_784_030_402), until = Date(timeIntervalSince1970: 1_784_030_404)
        let rows = try StationQueries(database: db).exportedSightings(since: since, until: until)
        XCTAssertEqual(rows.map(\.capturedEpoch), [1_784_030_402, 1_784_030_403])
        XCTAssertEqual(rows.first?.individualName, "Salt")
        XCTAssertEqual(rows.first?.capturedAt.hasSuffix("-03:00"), true)
        XCTAssertEqual(try StationQueries(database: db).exportedSightings().count, 4)
    }
}
