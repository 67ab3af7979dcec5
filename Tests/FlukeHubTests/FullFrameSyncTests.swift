import Crypto
import FlukeCore
import FlukeStore
import Foundation
import GRDB
import XCTest

/// `[hub] send_full_frames`: the hub receives the photo itself, byte for byte, instead of the
/// fluke crop; without it, the crop (or the thumbnail standing in for one).
final class FullFrameSyncTests: XCTestCase {
    /// A photo file on disk whose bytes are its identity, processed into a match and confirmed.
    func confirmedPhoto(_ station: TestStation) throws -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) } + [0xFF, 0xD9]
        let path = station.root.appendingPathComponent("drop/IMG_0001.JPG").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let id = PhotoID(digest: SHA256.hash(data: bytes))
        _ = try IntakeLog(database: station.database).record(PhotoIntake(
            id: id, file: FileObservation(path: path, camera: "bow", byteSize: bytes.count, mtimeNanoseconds: 1),
            metadata: PhotoMetadata(captureTime: CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400), utcOffsetSeconds: -10800, source: .exif)),
            verdict: .image(ImageHeader(format: .jpeg, width: 4000, height: 3000))))
        let queue = PhotoQueue(database: station.database)
        let claimed = try XCTUnwrap(try queue.claimNext())
        let thumbnail = station.root.appendingPathComponent("state/thumbnails/\(id.hex).jpg").path
        XCTAssertTrue(FileManager.default.createFile(atPath: thumbnail, contents: Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9])))
        let record = IdentificationRecord(decision: .match, individual: "HW-1", score: 0.95, candidates: [.init(individual: "HW-1", score: 0.95)],
                                          modelVersion: "test-model-1", feature: [1, 0, 0], crop: "fluke")
        let quality = QualityMeasures(sharpness: 500, meanLuminance: 100, clippedHighlights: 0, clippedShadows: 0, width: 4000, height: 3000)
        let sighting = try queue.complete(claimed.id, with: ProcessedPhoto(quality: quality, thumbnailPath: thumbnail, identification: record))
        _ = try ReviewLog(database: station.database).decide("\(sighting)", .confirm(individual: nil), reviewer: "ana")
        return bytes
    }

    func hubCrops(_ hub: HubUnderTest) throws -> [Data] {
        try DatabaseQueue(path: hub.db).read { try Data.fetchAll($0, sql: "SELECT bytes FROM crop") }
    }

    func testFullFramesOnlyWhenConfigured() throws {
        for fullFrames in [true, false] {
            let hub = try HubUnderTest()
            try hub.start()
            defer { hub.stop() }
            let station = try TestStation("frames-\(fullFrames)")
            try station.writeConfig(hubURL: hub.url, token: try hub.addToken("station", station.id))
            if fullFrames {
                let config = try String(contentsOfFile: station.configPath, encoding: .utf8)
                try (config + "\nsend_full_frames = true\n").write(toFile: station.configPath, atomically: true, encoding: .utf8)
            }
            let photo = try confirmedPhoto(station)
            let r = try runTool("flukewatch", ["sync", "--once", "--config", station.configPath])
            XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
            let crops = try hubCrops(hub)
            XCTAssertEqual(crops.count, 1, "one image per sighting")
            if fullFrames {
                XCTAssertEqual(crops.first.map { [UInt8]($0) }, photo, "the photo itself")
            } else {
                XCTAssertLessThan(crops.first?.count ?? .max, photo.count, "not the full frame")
            }
        }
    }
}
