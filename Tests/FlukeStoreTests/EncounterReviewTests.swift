import FlukeCore
import FlukeStore
import Foundation
import GRDB
import XCTest

final class EncounterReviewTests: XCTestCase {
    var db: StationDatabase!
    var fixture: ReviewFixture!
    var log: ReviewLog!

    override func setUpWithError() throws {
        fixture = try ReviewFixture.saltAndPepper()
        db = fixture.database
        log = ReviewLog(database: db)
    }

    /// Three photos of one burst (1 s apart), grouped into one encounter whose combined call is
    /// `call` (nil: no call was made). Returns the encounter and its sightings in order.
    func burst(call individual: String?, candidates: [[(String, Double)]]) throws -> (Int64, [Int64]) {
        let store = EncounterStore(database: db)
        var ids: [Int64] = []
        var encounter: Int64 = 0
        for (n, c) in candidates.enumerated() {
            let id = try fixture.addSighting(UInt8(n + 1), decision: c.isEmpty ? .new : .uncertain, candidates: c)
            ids.append(id)
            encounter = try store.assign(sightingID: id, gap: 60, modelVersion: "test-model-1") { members in
                individual.map {
                    EncounterStore.Call(decision: .uncertain, individual: $0, score: 0.5, candidates: [.init(individual: $0, score: 0.5)],
                                        photos: members.count, usablePhotos: members.count, modelVersion: "test-model-1")
                }
            }.encounterID
        }
        return (encounter, ids)
    }

    func outboxCount() throws -> Int { try fixture.count("sync_outbox") }

    func testConfirmingAnEncounterConfirmsEveryOpenPhotoAsTheEncounterCallAndLeavesDecidedOnesAlone() throws {
        let (encounter, ids) = try burst(call: "HW-1", candidates: [[("HW-1", 0.6)], [("HW-2", 0.4), ("HW-1", 0.39)], [("HW-1", 0.5)]])
        _ = try log.decide("\(ids[2])", .reject(reason: "too blurred"), reviewer: "ana")
        let before = try outboxCount()

        let result = try log.decideEncounter(encounter, .confirm(individual: nil), reviewer: "ben")
        XCTAssertEqual(result.records.map(\.sightingID), [ids[0], ids[1]])
        XCTAssertEqual(result.untouched, [ids[2]])
        XCTAssertEqual(result.records.map(\.action), [.confirm, .reassign],
                       "the second photo's own leader was HW-2: taking the encounter's call reassigns it")
        for id in ids.prefix(2) {
            let row = try fixture.sightingRow(id)
            XCTAssertEqual(row["review_state"] as String, "confirmed")
            XCTAssertEqual(row["individual_id"] as String, "HW-1")
            XCTAssertEqual(row["reviewed_by"] as String, "ben")
        }
        XCTAssertEqual(try fixture.sightingRow(ids[2])["review_state"] as String, "rejected")
        XCTAssertEqual(try outboxCount() - before, 2, "one outbox item per photo decided")

        XCTAssertThrowsError(try log.decideEncounter(encounter, .confirm(individual: nil), reviewer: "ben")) {
            XCTAssertEqual($0 as? ReviewError, .encounterHasNothingOpen(encounter: encounter))
        }
    }

    func testANamedIndividualOverridesTheEncounterCall() throws {
        let (encounter, ids) = try burst(call: "HW-1", candidates: [[("HW-1", 0.6)], [("HW-1", 0.5)]])
        let result = try log.decideEncounter(encounter, .confirm(individual: "Pepper"), reviewer: "ben")
        XCTAssertEqual(result.records.map(\.action), [.reassign, .reassign])
        XCTAssertEqual(try ids.map { try fixture.sightingRow($0)["individual_id"] as String }, ["HW-2", "HW-2"])
    }

    func testANewEncounterIsOneProvisionalIndividualAndUndoReopensItAndRemovesIt() throws {
        let (encounter, ids) = try burst(call: nil, candidates: [[], [], []])
        let result = try log.decideEncounter(encounter, .newIndividual(name: "Comet", idPrefix: "P-test-"), reviewer: "ana")
        let created = try XCTUnwrap(result.records.first?.createdIndividual)
        XCTAssertEqual(result.records.map(\.action), [.newIndividual, .reassign, .reassign])
        XCTAssertEqual(try ids.map { try fixture.sightingRow($0)["individual_id"] as String }, [created, created, created])
        XCTAssertEqual(try fixture.count("individual"), 3, "one individual for the whole burst")

        let undone = try log.undoEncounter(encounter, reviewer: "ana")
        XCTAssertEqual(undone.records.map(\.sightingID), ids)
        XCTAssertTrue(undone.records.allSatisfy { $0.action == .undo })
        for id in ids { XCTAssertEqual(try fixture.sightingRow(id)["review_state"] as String, "open") }
        XCTAssertEqual(try fixture.count("individual"), 2, "the provisional individual went with its last photo")
        XCTAssertThrowsError(try log.undoEncounter(encounter, reviewer: "ana")) {
            XCTAssertEqual($0 as? ReviewError, .encounterHasNothingToUndo(encounter: encounter))
        }
    }

    /// All photos or none: when the outbox refuses the second photo's item, the first photo's
    /// decision is not left behind either.
    func testAnEncounterIsDecidedEntirelyOrNotAtAll() throws {
        let (encounter, ids) = try burst(call: "HW-1", candidates: [[("HW-1", 0.6)], [("HW-1", 0.5)]])
        try db.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER outbox_full BEFORE INSERT ON sync_outbox WHEN (SELECT COUNT(*) FROM sync_outbox) >= 1
                BEGIN SELECT RAISE(ABORT, 'disk full'); END
                """)
        }
        XCTAssertThrowsError(try log.decideEncounter(encounter, .confirm(individual: nil), reviewer: "ben"))
        for id in ids { XCTAssertEqual(try fixture.sightingRow(id)["review_state"] as String, "open") }
        XCTAssertEqual(try fixture.count("review_decision"), 0)
    }

    func testOperatorErrorsNameTheEncounter() throws {
        XCTAssertThrowsError(try log.decideEncounter(42, .confirm(individual: nil), reviewer: "ben")) {
            XCTAssertEqual($0 as? ReviewError, .unknownEncounter(42))
            XCTAssertTrue(String(describing: $0).contains("flukewatch encounters"))
        }
        let (encounter, _) = try burst(call: nil, candidates: [[], []])
        XCTAssertThrowsError(try log.decideEncounter(encounter, .confirm(individual: nil), reviewer: "ben")) {
            XCTAssertEqual($0 as? ReviewError, .noEncounterCandidate(encounter: encounter))
        }
        XCTAssertThrowsError(try log.decideEncounter(encounter, .confirm(individual: nil), reviewer: Reviewer.automatic))
    }
}
