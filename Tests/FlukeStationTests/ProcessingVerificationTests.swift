import FlukeCore
import FlukeFixtures
import FlukeStation
import FlukeStore
import Foundation
import GRDB
import XCTest

/// Processing decodes only the bytes intake hashed: an unchanged file is trusted by its
/// fingerprint (device, inode, size, mtime, ctime), anything else is hashed again.
final class ProcessingVerificationTests: XCTestCase {
    func intake(_ bytes: [UInt8], station: TempStation) throws -> (StationDatabase, PhotoQueue, PhotoProcessor, String) {
        let config = station.config()
        let database = try StationDatabase.openCreatingStateDirectory(config)
        let path = "\(station.drop)/IMG_0001.JPG"
        try DropFolderWriter.write(bytes, to: path, style: .direct)
        let taken = try PhotoIntaker(log: IntakeLog(database: database), maxPixels: config.maxPixels).take(path: path, camera: "cam")
        guard case .recorded(.queued, _) = taken else { throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(taken)"]) }
        let queue = PhotoQueue(database: database)
        return (database, queue, PhotoProcessor(queue: queue, config: config), path)
    }

    func testIntakeRecordsTheFilesFingerprintAndAnUnchangedFileIsProcessed() throws {
        let station = try TempStation("verify-same")
        let (database, queue, processor, path) = try intake(try fixtureJPEG(1), station: station)
        let row = try XCTUnwrap(try database.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM photo_file") })
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(row["inode"] as Int64?, Int64(bitPattern: UInt64(st.st_ino)))
        XCTAssertEqual(row["ctime_ns"] as Int64?, Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
        let claimed = try XCTUnwrap(try queue.claimNext())
        XCTAssertEqual(claimed.fingerprints[path]?.byteSize, Int(st.st_size))
        guard case .done = try processor.process(claimed) else { return XCTFail("an unchanged photo is processed") }
    }

    /// Same size, mtime put back (as `touch -d` or `cp -p` would): only the ctime, which no user
    /// program can set, tells; processing must hash again and refuse the different bytes.
    func testBytesChangedInPlaceWithTheOldMtimeAreCaught() throws {
        let station = try TempStation("verify-changed")
        let original = try fixtureJPEG(2)
        let (database, queue, processor, path) = try intake(original, station: station)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        var altered = original
        altered[altered.count / 2] ^= 0xFF
        Thread.sleep(forTimeInterval: 0.02)   // past the kernel's coarse clock tick
        let fd = open(path, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = altered.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        var times = [st.st_atim, st.st_mtim]
        XCTAssertEqual(futimens(fd, &times), 0)
        close(fd)
        var now = stat()
        XCTAssertEqual(stat(path, &now), 0)
        XCTAssertEqual(now.st_mtim.tv_nsec, st.st_mtim.tv_nsec, "mtime restored")
        XCTAssertEqual(now.st_size, st.st_size)

        let claimed = try XCTUnwrap(try queue.claimNext())
        guard case .failed(let reason) = try processor.process(claimed) else {
            return XCTFail("bytes changed in place must not be processed under the old identity")
        }
        XCTAssertTrue(reason.contains("same content"), reason)
        let state = try database.pool.read { try String.fetchOne($0, sql: "SELECT state FROM photo") }
        XCTAssertEqual(state, "failed")
    }
}
