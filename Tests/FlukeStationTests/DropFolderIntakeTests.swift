import FlukeCore
import FlukeFixtures
import FlukeStation
import FlukeStore
import GRDB
import XCTest

/// Real inotify on real temp folders, a real SQLite file and real JPEGs.
final class DropFolderIntakeTests: XCTestCase {
    func testPhotosArrivingEveryWayAreRecordedOnceAndTheDropFolderIsUntouched() throws {
        let station = try TempStation("ways")
        let daemon = try InProcessDaemon(station.config())
        defer { try? daemon.stop() }
        let d = station.drop
        let first = try fixtureJPEG(1)
        try DropFolderWriter.write(first, to: "\(d)/IMG_0001.JPG", style: .direct)
        try DropFolderWriter.write(try fixtureJPEG(2), to: "\(d)/IMG_0002.JPG", style: .renamedIn)
        try DropFolderWriter.write(try fixtureJPEG(3), to: "\(d)/IMG_0003.JPG", style: .slow(chunks: 6, pause: 0.08))
        // Created empty and closed, then reopened and written: the first close must not count.
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(d)/IMG_0004.JPG", contents: nil))
        try DropFolderWriter.write(try fixtureJPEG(4), to: "\(d)/IMG_0004.JPG", style: .slow(chunks: 3, pause: 0.1))
        // A card folder appearing after start, with a RAW sidecar and a copy of an earlier photo.
        try DropFolderWriter.write(try fixtureJPEG(5), to: "\(d)/DCIM/100TEST/IMG_0005.JPG", style: .direct)
        try DropFolderWriter.write([UInt8](repeating: 7, count: 2048), to: "\(d)/DCIM/100TEST/IMG_0005.CR3", style: .direct)
        try DropFolderWriter.write(first, to: "\(d)/DCIM/100TEST/COPY_0001.JPG", style: .direct)
        // No EXIF at all: the file's time stands in, and says so.
        try DropFolderWriter.write(try fixtureJPEG(6, exif: false), to: "\(d)/no-exif.jpg", style: .direct)
        // Ignored names.
        for name in [".hidden.jpg", "IMG_0009.JPG.part", "IMG_0010.JPG~", "upload.tmp", "clip.mp4"] {
            try DropFolderWriter.write(try fixtureJPEG(9), to: "\(d)/\(name)", style: .direct)
        }
        let before = station.dropListing()

        let db = daemon.daemon.database
        let queries = StationQueries(database: db)
        try waitUntil(timeout: 30, "6 photos done, 1 duplicate, 1 sidecar") {
            let s = try queries.status()
            return s.photos.done == 6 && s.photos.duplicates == 1 && s.sidecars == 1
        }
        let s = try queries.status()
        XCTAssertEqual(s.photos.total, 6)
        let quarantined = try queries.photos(state: .quarantined).map { ($0.path, $0.reason ?? "") }
        XCTAssertEqual(s.photos.quarantined, 0, "\(quarantined)")
        XCTAssertEqual(s.sightings, 6)
        let recorded = try db.pool.read { try Set(String.fetchAll($0, sql: "SELECT path FROM photo_file")) }
        XCTAssertEqual(recorded, Set(["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG", "IMG_0004.JPG", "DCIM/100TEST/IMG_0005.JPG",
                                      "DCIM/100TEST/COPY_0001.JPG", "no-exif.jpg"].map { "\(d)/\($0)" }))

        let photos = try queries.photos()
        let byName = Dictionary(uniqueKeysWithValues: photos.map { (($0.path as NSString).lastPathComponent, $0) })
        let p5 = try XCTUnwrap(byName["IMG_0005.JPG"])
        XCTAssertEqual(p5.sidecars, ["\(d)/DCIM/100TEST/IMG_0005.CR3"])
        XCTAssertEqual(p5.captureTimeSource, "exif")
        XCTAssertEqual(p5.capturedAt, "2026-07-14T09:00:05.350-03:00")
        XCTAssertEqual(try XCTUnwrap(p5.latitude), -23.505, accuracy: 1e-6)
        XCTAssertEqual(byName["no-exif.jpg"]?.captureTimeSource, "file-mtime")
        XCTAssertEqual(byName["IMG_0001.JPG"]?.duplicatePaths, ["\(d)/DCIM/100TEST/COPY_0001.JPG"])

        // Thumbnails live under the state directory; nothing was written to the drop folder.
        for sighting in try queries.sightings() {
            let thumb = try XCTUnwrap(sighting.thumbnail)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(station.state)/\(thumb)"), thumb)
        }
        XCTAssertEqual(station.dropListing(), before)
        XCTAssertEqual(try db.integrityCheck(), "ok")
    }

    func testFilesThatArriveWhileStoppedAreFoundAtStartAndNothingTwice() throws {
        let station = try TempStation("restart")
        for i in 0..<3 { try DropFolderWriter.write(try fixtureJPEG(i), to: "\(station.drop)/early-\(i).jpg", style: .direct) }
        // A file written "just now" before the start must wait for the settle time, then count.
        var daemon = try InProcessDaemon(station.config(settle: 0.3))
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 20, "3 early photos done") { try queries.status().photos.done == 3 }
        try daemon.stop()

        for i in 3..<5 { try DropFolderWriter.write(try fixtureJPEG(i), to: "\(station.drop)/DCIM/101/while-down-\(i).jpg", style: .direct) }
        daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        let q2 = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 20, "5 photos done") { try q2.status().photos.done == 5 }
        let s = try q2.status()
        XCTAssertEqual(s.photos.total, 5)
        XCTAssertEqual(s.photos.duplicates, 0)
        XCTAssertEqual(s.sightings, 5)
    }

    func testDamagedFilesAreQuarantinedWithReasonsAndTheStationGoesOn() throws {
        let station = try TempStation("damaged")
        let daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        let d = station.drop
        try DropFolderWriter.write(DamagedFile.text("shopping list\n"), to: "\(d)/note.jpg", style: .direct)
        try DropFolderWriter.write(DamagedFile.truncated(try fixtureJPEG(1), keeping: 0.4), to: "\(d)/cut.jpg", style: .direct)
        try DropFolderWriter.write(DamagedFile.pixelBomb(), to: "\(d)/bomb.jpg", style: .direct)
        try DropFolderWriter.write([], to: "\(d)/empty.jpg", style: .direct)
        var undecodable = DamagedFile.pixelBomb(width: 64, height: 64)
        undecodable.insert(contentsOf: [UInt8](repeating: 0x55, count: 300), at: undecodable.count - 2)
        try DropFolderWriter.write(undecodable, to: "\(d)/garbled.jpg", style: .direct)
        try DropFolderWriter.write(try fixtureJPEG(2), to: "\(d)/good.jpg", style: .direct)

        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 20, "5 quarantined and 1 done") {
            let s = try queries.status()
            return s.photos.quarantined == 5 && s.photos.done == 1
        }
        let reasons = Dictionary(uniqueKeysWithValues: try queries.photos(state: .quarantined).map {
            (($0.path as NSString).lastPathComponent, $0.quarantineCode ?? "")
        })
        XCTAssertEqual(reasons, ["note.jpg": "not-an-image", "cut.jpg": "truncated", "bomb.jpg": "too-many-pixels",
                                 "empty.jpg": "empty-file", "garbled.jpg": "decode-failed"])
        for p in try queries.photos(state: .quarantined) {
            XCTAssertFalse(p.reason?.isEmpty ?? true, "\(p.path) needs a reason")
        }
    }

    func testReconfigureWatchesANewFolderWithoutARestart() throws {
        let station = try TempStation("reload")
        let daemon = try InProcessDaemon(station.config(settle: 0.3))
        defer { try? daemon.stop() }
        let extra = station.root.appendingPathComponent("stern").path
        try FileManager.default.createDirectory(atPath: extra, withIntermediateDirectories: true)
        try DropFolderWriter.write(try fixtureJPEG(1), to: "\(extra)/before-reload.jpg", style: .direct)
        var config = station.config(settle: 0.3)
        config.dropFolders.append(.init(path: extra, camera: "stern-cam"))
        daemon.daemon.pipeline.reconfigure(dropFolders: config.dropFolders)
        try DropFolderWriter.write(try fixtureJPEG(2), to: "\(extra)/after-reload.jpg", style: .direct)
        let queries = StationQueries(database: daemon.daemon.database)
        try waitUntil(timeout: 20, "both stern photos done") { try queries.status().photos.done == 2 }
        XCTAssertEqual(Set(try queries.photos().map(\.camera)), ["stern-cam"])
    }
}
