import FlukeCore
import FlukeFixtures
import FlukeVision
import XCTest

final class ImageInspectorTests: XCTestCase {
    let limit = 150_000_000

    func testReadsSizeOfEachFormatFromItsHeader() throws {
        let scene = try SyntheticScene.render(width: 200, height: 120, individualSeed: 1, sceneSeed: 2)
        XCTAssertEqual(try ImageInspector.inspect(MemoryBytes(try scene.image.jpegData()), maxPixels: limit),
                       .image(ImageHeader(format: .jpeg, width: 200, height: 120)))
        XCTAssertEqual(try ImageInspector.inspect(MemoryBytes(try scene.image.losslessData(.png)), maxPixels: limit),
                       .image(ImageHeader(format: .png, width: 200, height: 120)))
        XCTAssertEqual(try ImageInspector.inspect(MemoryBytes(try scene.image.losslessData(.tiff)), maxPixels: limit),
                       .image(ImageHeader(format: .tiff, width: 200, height: 120)))
    }

    func testEXIFDoesNotHideTheFrameHeader() throws {
        let bytes = try FixturePhoto(width: 300, height: 200, exif: FixturePhoto.cameraEXIF(index: 1)).jpegBytes()
        XCTAssertEqual(try ImageInspector.inspect(MemoryBytes(bytes), maxPixels: limit),
                       .image(ImageHeader(format: .jpeg, width: 300, height: 200)))
    }

    func testQuarantinesEmptyTextTruncatedAndBombs() throws {
        func verdict(_ b: [UInt8]) throws -> String? {
            if case .quarantine(let r) = try ImageInspector.inspect(MemoryBytes(b), maxPixels: limit) { return r.code }
            return nil
        }
        let jpeg = try FixturePhoto(width: 400, height: 300, noise: 5, exif: FixturePhoto.cameraEXIF(index: 3)).jpegBytes()
        XCTAssertEqual(try verdict([]), "empty-file")
        XCTAssertEqual(try verdict(DamagedFile.text()), "not-an-image")
        XCTAssertEqual(try verdict(DamagedFile.truncated(jpeg, keeping: 0.6)), "truncated")
        XCTAssertEqual(try verdict(DamagedFile.pixelBomb()), "too-many-pixels")
        let png = try SyntheticScene.render(width: 100, height: 100, individualSeed: 1, sceneSeed: 1).image.losslessData(.png)
        XCTAssertEqual(try verdict(Array(png.dropLast(20))), "truncated")
        XCTAssertNil(try verdict(jpeg))
    }

    func testTextFileReasonQuotesTheStartOfTheFile() throws {
        guard case .quarantine(let r) = try ImageInspector.inspect(MemoryBytes(DamagedFile.text("hello deck\n")), maxPixels: limit) else {
            return XCTFail("a text file must be quarantined")
        }
        XCTAssertTrue(r.explanation.contains("hello deck"), r.explanation)
    }
}
