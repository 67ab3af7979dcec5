import FlukeCore
import FlukeStore
import Foundation
import GRDB

/// Catalog individuals and identified sightings, written the way the station writes them
/// (intake, claim, complete), so review runs against real rows.
struct ReviewFixture {
    let database: StationDatabase

    /// A new station database whose catalog holds Salt (HW-1) and Pepper (HW-2).
    static func saltAndPepper() throws -> ReviewFixture {
        let fixture = ReviewFixture(database: try makeTemporaryDatabase().0)
        try fixture.addIndividual("HW-1", name: "Salt")
        try fixture.addIndividual("HW-2", name: "Pepper")
        return fixture
    }

    func addIndividual(_ id: String, name: String?) throws {
        try database.pool.write { db in
            try db.execute(sql: "INSERT INTO individual (id, name, is_provisional, created_at) VALUES (?, ?, 0, 0)",
                           arguments: [id, name])
        }
    }

    /// Records photo `n` and its sighting with the given call and candidates; returns the sighting id.
    @discardableResult
    func addSighting(_ n: UInt8, decision: SightingDecision, candidates: [(String, Double)]) throws -> Int64 {
        _ = try IntakeLog(database: database).record(intake(n, path: "/drop/\(n).jpg"))
        let queue = PhotoQueue(database: database)
        let claimed = try XCTUnwrapOrThrow(try queue.claimNext())
        let record = IdentificationRecord(
            decision: decision, individual: decision == .new ? nil : candidates.first?.0, score: candidates.first?.1,
            candidates: candidates.map { .init(individual: $0.0, score: $0.1) }, modelVersion: "test-model-1",
            feature: nil, crop: "fluke")
        return try queue.complete(claimed.id, with: ProcessedPhoto(quality: sampleQuality, thumbnailPath: nil,
                                                                    identification: decision == .awaitingIdentification ? nil : record))
    }

    func sightingRow(_ id: Int64) throws -> Row {
        try database.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM sighting WHERE id = ?", arguments: [id])! }
    }

    func count(_ table: String) throws -> Int {
        try database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

struct MissingValue: Error {}

func XCTUnwrapOrThrow<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}
