import FlukeCore
import FlukeStore
import GRDB
import XCTest

final class PhotoQueueTests: XCTestCase {
    func testClaimTakesOldestAndCompleteWritesOneSighting() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        _ = try log.record(intake(2, path: "/d/2.jpg", queuedAt: Date(timeIntervalSince1970: 200)))
        _ = try log.record(intake(1, path: "/d/1.jpg", queuedAt: Date(timeIntervalSince1970: 100)))
        let queue = PhotoQueue(database: db)
        let first = try XCTUnwrap(try queue.claimNext())
        XCTAssertEqual(first.id, photoID(1))
        XCTAssertEqual(first.paths, ["/d/1.jpg"])
        XCTAssertEqual(first.attempts, 1)
        XCTAssertEqual(try StationQueries(database: db).status().photos.processing, 1)

        try queue.complete(first.id, with: ProcessedPhoto(quality: sampleQuality, thumbnailPath: "thumbnails/x.jpg"))
        let s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.done, 1)
        XCTAssertEqual(s.sightings, 1)
        let sighting = try XCTUnwrap(try StationQueries(database: db).sightings().first)
        XCTAssertEqual(sighting.decision, "awaiting-identification")
        XCTAssertEqual(sighting.photoSHA256, photoID(1).hex)
        // Completing twice (a replayed transaction) must not make a second sighting.
        XCTAssertThrowsError(try queue.complete(first.id, with: ProcessedPhoto(quality: sampleQuality, thumbnailPath: nil)))
        XCTAssertEqual(try StationQueries(database: db).status().sightings, 1)
    }

    func testConcurrentClaimsNeverShareAPhoto() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        for n in 1...40 { _ = try log.record(intake(UInt8(n), path: "/d/\(n).jpg")) }
        let queue = PhotoQueue(database: db)
        let claimed = LockedList<PhotoID>()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while let p = try? queue.claimNext() { claimed.append(p.id) }
        }
        XCTAssertEqual(claimed.value.count, 40)
        XCTAssertEqual(Set(claimed.value).count, 40)
    }

    func testInterruptedPhotosAreRequeuedThenSetAsideAfterMaxAttempts() throws {
        let (db, _) = try makeTemporaryDatabase()
        _ = try IntakeLog(database: db).record(intake(7, path: "/d/7.jpg"))
        let queue = PhotoQueue(database: db, maxAttempts: 3)
        for round in 1...3 {
            let p = try XCTUnwrap(try queue.claimNext(), "round \(round)")
            XCTAssertEqual(p.attempts, round)
            let r = try queue.requeueInterrupted()   // as if the daemon had been killed
            XCTAssertEqual(r.requeued + r.setAside, 1)
        }
        let s = try StationQueries(database: db).status()
        XCTAssertEqual(s.photos.quarantined, 1)
        XCTAssertEqual(s.quarantineReasons, ["crashed-processor": 1])
        XCTAssertNil(try queue.claimNext())
    }

    func testReleaseDoesNotCountTheAttempt() throws {
        let (db, _) = try makeTemporaryDatabase()
        _ = try IntakeLog(database: db).record(intake(8, path: "/d/8.jpg"))
        let queue = PhotoQueue(database: db)
        let p = try XCTUnwrap(try queue.claimNext())
        try queue.release(p.id)
        XCTAssertEqual(try XCTUnwrap(try queue.claimNext()).attempts, 1)
    }

    func testFailAndQuarantineAreFinal() throws {
        let (db, _) = try makeTemporaryDatabase()
        let log = IntakeLog(database: db)
        _ = try log.record(intake(1, path: "/d/1.jpg"))
        _ = try log.record(intake(2, path: "/d/2.jpg"))
        let queue = PhotoQueue(database: db)
        try queue.fail(try XCTUnwrap(try queue.claimNext()).id, reason: "file vanished")
        try queue.quarantine(try XCTUnwrap(try queue.claimNext()).id, reason: .decodeFailed(detail: "bad huffman"))
        XCTAssertNil(try queue.claimNext())
        let s = try StationQueries(database: db).status()
        XCTAssertEqual([s.photos.failed, s.photos.quarantined, s.photos.queued], [1, 1, 0])
        XCTAssertEqual(try StationQueries(database: db).photos(state: .failed).first?.reason, "file vanished")
    }
}

/// A lock-protected list for the concurrency test.
final class LockedList<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    func append(_ e: Element) { lock.lock(); items.append(e); lock.unlock() }
    var value: [Element] { lock.lock(); defer { lock.unlock() }; return items }
}
