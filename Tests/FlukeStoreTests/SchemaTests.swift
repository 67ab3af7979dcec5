import FlukeStore
import GRDB
import XCTest

final class SchemaTests: XCTestCase {
    func testDatabaseIsInWALModeAndHealthy() throws {
        let (db, _) = try makeTemporaryDatabase()
        XCTAssertEqual(try db.journalMode(), "wal")
        XCTAssertEqual(try db.integrityCheck(), "ok")
    }

    func testMigrationsAreNamedAndCreateEveryTable() throws {
        let (db, _) = try makeTemporaryDatabase()
        let applied = try db.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        XCTAssertEqual(applied, ["v1-intake-queue", "v2-sightings-catalog-outbox", "v3-catalog-model", "v4-review", "v5-sync", "v6-file-fingerprint", "v7-usefulness", "v8-encounter-call", "v9-model-change", "v10-local-features", "v11-hub-reference-crops"])
        let tables = try db.pool.read { try Set(String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")) }
        for t in ["photo", "photo_file", "sidecar", "unreadable_file", "sighting", "individual", "catalog_photo",
                  "embedding", "encounter", "sync_outbox", "catalog_model", "review_decision",
                  "sync_item", "sync_crop", "sync_state"] {
            XCTAssertTrue(tables.contains(t), "missing table \(t)")
        }
    }

    func testReopeningAnExistingDatabaseKeepsItsRows() throws {
        let (db, _) = try makeTemporaryDatabase()
        _ = try IntakeLog(database: db).record(intake(1, path: "/drop/a.jpg"))
        let again = try StationDatabase(path: db.path)
        XCTAssertEqual(try StationQueries(database: again).status().photos.total, 1)
    }

    func testStateColumnRejectsUnknownStates() throws {
        let (db, _) = try makeTemporaryDatabase()
        _ = try IntakeLog(database: db).record(intake(1, path: "/drop/a.jpg"))
        XCTAssertThrowsError(try db.pool.write { try $0.execute(sql: "UPDATE photo SET state = 'lost'") })
    }
}
