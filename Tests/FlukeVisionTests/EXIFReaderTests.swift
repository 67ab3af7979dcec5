import FlukeCore
import FlukeFixtures
import FlukeVision
import XCTest

final class EXIFReaderTests: XCTestCase {
    func testReadsWhatTheCameraWrote() throws {
        let exif = FixtureEXIF(dateTimeOriginal: "2026:07:14 09:30:15", subSeconds: "25", offsetTime: "-03:00",
                               latitude: -23.512345, longitude: -45.098765, altitudeMeters: 12.5,
                               make: "Canon", model: "Canon EOS R7", serial: "0123456789", orientation: .right)
        let bytes = try FixturePhoto(width: 320, height: 240, exif: exif).jpegBytes()
        let read = try EXIFReader.read(MemoryBytes(bytes))
        XCTAssertEqual(read.make, "Canon")
        XCTAssertEqual(read.model, "Canon EOS R7")
        XCTAssertEqual(read.serial, "0123456789")
        XCTAssertEqual(read.orientation, .right)
        let time = try XCTUnwrap(read.captureTime)
        XCTAssertEqual(time.source, .exif)
        XCTAssertEqual(time.utcOffsetSeconds, -3 * 3600)
        XCTAssertEqual(time.iso8601, "2026-07-14T09:30:15.250-03:00")
        // 09:30:15.25 at UTC-3 is 12:30:15.25 UTC.
        XCTAssertEqual(time.date.timeIntervalSince1970, 1_784_032_215.25, accuracy: 0.001)
        let position = try XCTUnwrap(read.position)
        XCTAssertEqual(position.latitude, -23.512345, accuracy: 1e-6)
        XCTAssertEqual(position.longitude, -45.098765, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(position.altitudeMeters), 12.5, accuracy: 0.01)
    }

    func testTimeWithoutOffsetIsKeptAsWallClock() throws {
        let bytes = try FixturePhoto(width: 64, height: 64, exif: FixtureEXIF(dateTimeOriginal: "2026:01:02 03:04:05")).jpegBytes()
        let time = try XCTUnwrap(try EXIFReader.read(MemoryBytes(bytes)).captureTime)
        XCTAssertNil(time.utcOffsetSeconds)
        XCTAssertEqual(time.iso8601, "2026-01-02T03:04:05Z")
    }

    func testPhotoWithoutEXIFHasNoCaptureTime() throws {
        let bytes = try FixturePhoto(width: 64, height: 64).jpegBytes()
        let read = try EXIFReader.read(MemoryBytes(bytes))
        XCTAssertNil(read.captureTime)
        XCTAssertNil(read.position)
        XCTAssertNil(read.make)
    }

    func testGarbageDateAndEXIFAreIgnoredNotFatal() throws {
        let bytes = try FixturePhoto(width: 64, height: 64, exif: FixtureEXIF(dateTimeOriginal: "0000:00:00 00:00:00")).jpegBytes()
        XCTAssertNil(try EXIFReader.read(MemoryBytes(bytes)).captureTime)
        // An APP1 segment that claims to be EXIF but holds junk.
        var junk: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10] + Array("Exif".utf8) + [0, 0] + [UInt8](repeating: 0xAA, count: 8)
        junk += [0xFF, 0xD9]
        XCTAssertEqual(try EXIFReader.read(MemoryBytes(junk)), EXIFData())
    }
}
