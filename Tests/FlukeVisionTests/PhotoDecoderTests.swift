import CFlukeReference
import FlukeCore
import FlukeFixtures
import FlukeVision
import XCTest

final class PhotoDecoderTests: XCTestCase {
    func testReducedDecodeShrinksByTheFactor() throws {
        let bytes = try FixturePhoto(width: 1600, height: 1200).jpegBytes()
        let header = ImageHeader(format: .jpeg, width: 1600, height: 1200)
        XCTAssertEqual(PhotoDecoder.reduction(for: header, minLongSide: 400), 4)
        XCTAssertEqual(PhotoDecoder.reduction(for: header, minLongSide: 1024), 1)
        let image = try PhotoDecoder.decode(bytes, reduction: 4)
        XCTAssertEqual(image.width, 400)
        XCTAssertEqual(image.height, 300)
    }

    func testOrientationTurnsThePhotoUpright() throws {
        let bytes = try FixturePhoto(width: 320, height: 200).jpegBytes()
        let turned = try PhotoDecoder.decode(bytes, orientation: .right)
        XCTAssertEqual(turned.width, 200)
        XCTAssertEqual(turned.height, 320)
    }

    func testGarbageFailsWithAnErrorNotACrash() {
        var fake = DamagedFile.pixelBomb(width: 100, height: 100)
        fake.insert(contentsOf: [UInt8](repeating: 0x55, count: 500), at: fake.count - 2)
        XCTAssertThrowsError(try PhotoDecoder.decode(fake)) { error in
            XCTAssertTrue(error is VisionError)
        }
    }

    func testAnOpenCVExceptionBecomesASwiftError() {
        // cv::Mat with negative dimensions throws cv::Exception inside the shim.
        XCTAssertThrowsError(try DecodedImage(bgr: [UInt8](repeating: 0, count: 75), width: -5, height: -5)) { error in
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    func testSharpPhotosMeasureSharperThanFlatOnes() throws {
        let scene = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480).jpegBytes())
        let flat = try DecodedImage(bgr: [UInt8](repeating: 128, count: 640 * 480 * 3), width: 640, height: 480)
        let q1 = try scene.quality(fullWidth: 640, fullHeight: 480)
        let q2 = try flat.quality(fullWidth: 640, fullHeight: 480)
        XCTAssertGreaterThan(q1.sharpness, 10 * max(q2.sharpness, 0.01))
        XCTAssertEqual(q2.meanLuminance, 128, accuracy: 1)
        XCTAssertEqual(q2.clippedHighlights, 0)
        let white = try DecodedImage(bgr: [UInt8](repeating: 255, count: 64 * 64 * 3), width: 64, height: 64)
        XCTAssertEqual(try white.quality(fullWidth: 64, fullHeight: 64).clippedHighlights, 1, accuracy: 1e-9)
    }

    func testSameSeedSameAnimalDifferentSceneDifferentBytes() throws {
        let a = try FixturePhoto(width: 200, height: 150, individualSeed: 9, sceneSeed: 1).jpegBytes()
        let b = try FixturePhoto(width: 200, height: 150, individualSeed: 9, sceneSeed: 1).jpegBytes()
        let c = try FixturePhoto(width: 200, height: 150, individualSeed: 9, sceneSeed: 2).jpegBytes()
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    /// The shim decodes JPEGs through libjpeg itself (faster than cv::imdecode); the pixels must
    /// be exactly OpenCV's, at every reduction, including sizes that do not divide evenly.
    func testDirectJPEGDecodeMatchesOpenCVPixelForPixel() throws {
        for (width, height) in [(1001, 753), (640, 480)] {
            let bytes = try FixturePhoto(width: width, height: height, noise: 6).jpegBytes()
            for reduction in [1, 2, 4, 8] {
                let ours = try PhotoDecoder.decode(bytes, reduction: reduction)
                var reference = [UInt8](repeating: 0, count: width * height * 3)
                var w: Int32 = 0, h: Int32 = 0
                var error = fw_ref_error()
                let status = bytes.withUnsafeBufferPointer { b in
                    reference.withUnsafeMutableBufferPointer { r in
                        fw_ref_decode_jpeg(b.baseAddress, b.count, Int32(reduction), r.baseAddress, r.count, &w, &h, &error)
                    }
                }
                XCTAssertEqual(status, 0)
                XCTAssertEqual(ours.width, Int(w), "\(width)x\(height) at 1/\(reduction)")
                XCTAssertEqual(ours.height, Int(h), "\(width)x\(height) at 1/\(reduction)")
                XCTAssertEqual(ours.width, (width + reduction - 1) / reduction)
                let pixels = try ours.bgrPixels()
                XCTAssertTrue(pixels == Array(reference.prefix(pixels.count)), "\(width)x\(height) at 1/\(reduction): pixels differ from OpenCV's")
            }
        }
    }

    func testACorruptJPEGSaysWhatLibjpegFound() throws {
        var bytes = try FixturePhoto(width: 320, height: 240).jpegBytes()
        // Destroy the frame header (SOF0) after the SOI: libjpeg stops with a fatal error.
        guard let sof = (2..<(bytes.count - 1)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) else {
            return XCTFail("fixture JPEG has no baseline frame header")
        }
        for i in (sof + 2)..<(sof + 10) { bytes[i] = 0 }
        XCTAssertThrowsError(try PhotoDecoder.decode(bytes, reduction: 4)) { error in
            XCTAssertTrue("\(error)".contains("libjpeg"), "\(error)")
        }
    }

    func testPNGAndTIFFRoundTripExactly() throws {
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 160, height: 120).jpegBytes())
        for format in [ImageFormat.png, .tiff] {
            let back = try PhotoDecoder.decode(try image.losslessData(format))
            XCTAssertEqual(back.width, 160)
            XCTAssertEqual(try back.bgrPixels(), try image.bgrPixels(), "\(format)")
        }
    }
}
