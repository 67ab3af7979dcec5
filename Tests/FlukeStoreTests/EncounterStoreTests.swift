import FlukeCore
import FlukeStore
import Foundation
import GRDB
import XCTest

final class EncounterStoreTests: XCTestCase {
    /// Capture times are 1 s × the photo number apart (see `intake`); the gap is 60 s.
    func testPhotosChainIntoEncountersAndABridgingPhotoMergesTwo() throws {
        let (database, _) = try makeTemporaryDatabase()
        let fixture = ReviewFixture(database: database)
        try fixture.addIndividual("HW-1", name: nil)
        let store = EncounterStore(database: database)
        var seen: [[Int64]] = []
        func assign(_ sighting: Int64) throws -> Int64 {
            try store.assign(sightingID: sighting, gap: 60, modelVersion: "test-model-1") { members in
                seen.append(members.map(\.sightingID))
                return EncounterStore.Call(decision: .match, individual: "HW-1", score: 0.9, candidates: [.init(individual: "HW-1", score: 0.9)],
                                           photos: members.count, usablePhotos: members.filter(\.usable).count,
                                           modelVersion: "test-model-1")
            }.encounterID
        }
        let early = try fixture.addSighting(1, decision: .match, candidates: [("HW-1", 0.9)])
        let late = try fixture.addSighting(100, decision: .match, candidates: [("HW-1", 0.8)])
        let a = try assign(early), b = try assign(late)
        XCTAssertNotEqual(a, b, "99 s apart with a 60 s gap: two encounters")
        XCTAssertEqual(try store.list().map(\.sightings), [[early], [late]])

        let bridge = try fixture.addSighting(50, decision: .uncertain, candidates: [("HW-1", 0.5)])
        let merged = try assign(bridge)
        XCTAssertEqual(merged, min(a, b))
        let list = try store.list()
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list[0].sightings, [early, late, bridge])
        XCTAssertEqual(list[0].photos, 3)
        XCTAssertEqual(list[0].startedEpoch, 1_784_030_401)
        XCTAssertEqual(list[0].endedEpoch, 1_784_030_500)
        XCTAssertEqual(list[0].decision, "match")
        XCTAssertEqual(list[0].candidates.first?.individual, "HW-1")
        // The call was made from every member, the merged ones included.
        XCTAssertEqual(seen.last, [early, late, bridge])
        XCTAssertEqual(try fixture.count("encounter"), 1)
    }

    func testAnotherCameraIsAnotherEncounter() throws {
        let (database, _) = try makeTemporaryDatabase()
        let fixture = ReviewFixture(database: database)
        let store = EncounterStore(database: database)
        let one = try fixture.addSighting(1, decision: .new, candidates: [])
        let two = try fixture.addSighting(2, decision: .new, candidates: [])
        try database.pool.write { db in
            try db.execute(sql: "UPDATE photo SET camera = 'other-cam' WHERE sha256 = (SELECT photo_sha256 FROM sighting WHERE id = ?)",
                           arguments: [two])
        }
        let a = try store.assign(sightingID: one, gap: 60, modelVersion: "m") { _ in nil }.encounterID
        let b = try store.assign(sightingID: two, gap: 60, modelVersion: "m") { _ in nil }.encounterID
        XCTAssertNotEqual(a, b)
        XCTAssertNil(try store.list()[0].decision, "no call without an identified photo")
        XCTAssertThrowsError(try store.assign(sightingID: 999, gap: 60, modelVersion: "m") { _ in nil })
    }
}
