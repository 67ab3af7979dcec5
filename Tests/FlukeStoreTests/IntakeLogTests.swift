import FlukeCore
import FlukeStore
import XCTest

final class IntakeLogTests: XCTestCase {
    func testNewContentIsQueuedAndTheSameBytesElsewhereAreADuplicate() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        XCTAssertEqual(try log.record(intake(1, path: "/drop/a.jpg")), .queued)
        XCTAssertEqual(try log.record(intake(1, path: "/drop/card/a-copy.jpg")), .duplicate(of: "/drop/a.jpg"))
        XCTAssertEqual(try log.record(intake(1, path: "/drop/a.jpg")), .alreadyRecorded)
        let s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.total, 1)
        XCTAssertEqual(s.photos.queued, 1)
        XCTAssertEqual(s.photos.duplicates, 1)
        let listed = try StationQueries(database: db).photos()
        XCTAssertEqual(listed.map(\.duplicatePaths), [["/drop/card/a-copy.jpg"]])
    }

    func testUnchangedFilesAreRecognisedBySizeAndTime() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        let entry = intake(2, path: "/drop/b.jpg")
        _ = try log.record(entry)
        XCTAssertTrue(try log.isRecordedUnchanged(path: "/drop/b.jpg", byteSize: entry.file.byteSize, mtimeNanoseconds: entry.file.mtimeNanoseconds))
        XCTAssertFalse(try log.isRecordedUnchanged(path: "/drop/b.jpg", byteSize: entry.file.byteSize + 1, mtimeNanoseconds: entry.file.mtimeNanoseconds))
        XCTAssertFalse(try log.isRecordedUnchanged(path: "/drop/other.jpg", byteSize: entry.file.byteSize, mtimeNanoseconds: entry.file.mtimeNanoseconds))
    }

    func testQuarantinedAtIntakeKeepsItsReason() throws {
        let (db, _) = try makeTemporaryDatabase()
        let reason = QuarantineReason.truncated(detail: "no end marker")
        XCTAssertEqual(try IntakeLog(database: db).record(intake(3, path: "/drop/c.jpg", verdict: .quarantine(reason, header: nil))),
                       .quarantined(reason))
        let s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.quarantined, 1)
        XCTAssertEqual(s.quarantineReasons, ["truncated": 1])
        let p = try XCTUnwrap(try StationQueries(database: db).photos(state: .quarantined).first)
        XCTAssertEqual(p.quarantineCode, "truncated")
        XCTAssertEqual(p.reason, reason.explanation)
    }

    func testRawSidecarIsListedWithItsJpeg() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        try log.recordSidecar(FileObservation(path: "/drop/IMG_1.CR3", camera: "cam", byteSize: 10, mtimeNanoseconds: 1), format: "CR3")
        _ = try log.record(intake(4, path: "/drop/IMG_1.JPG"))
        XCTAssertEqual(try StationQueries(database: db).photos().first?.sidecars, ["/drop/IMG_1.CR3"])
        XCTAssertEqual(try StationQueries(database: db).status().sidecars, 1)
    }

    func testUnreadableFilesCountAsQuarantinedUntilReadable() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        let file = FileObservation(path: "/drop/locked.jpg", camera: "cam", byteSize: 10, mtimeNanoseconds: 1)
        try log.recordUnreadable(file, reason: "permission denied")
        var s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.total, 1)
        XCTAssertEqual(s.photos.quarantined, 1)
        XCTAssertEqual(s.quarantineReasons["unreadable"], 1)
        _ = try log.record(intake(5, path: "/drop/locked.jpg"))
        s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.total, 1)
        XCTAssertEqual(s.photos.quarantined, 0)
    }
}
