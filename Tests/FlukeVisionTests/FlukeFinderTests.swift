import FlukeFixtures
import FlukeVision
import XCTest

/// The fluke finder and the crop, on photos the project makes itself (synthetic scenes with a
/// known fluke box). tools/crop-check runs the same checks through the C API (`--selftest`) and
/// measures the finder on real photos.
final class FlukeFinderTests: XCTestCase {
    /// Asserts that `box` holds the whole fluke (2% of its size and 2 pixels of slack for the
    /// renderer's anti-aliased outline) and is not absurdly larger (at most 4 times its area).
    func assertHolds(_ box: FlukeBox?, _ fluke: (x: Int, y: Int, width: Int, height: Int), slack: Int = 2,
                     _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let box else { return XCTFail("\(label): no fluke found", file: file, line: line) }
        let sx = fluke.width / 50 + slack, sy = fluke.height / 50 + slack
        let text = "\(label): box \(box) fluke \(fluke)"
        XCTAssertLessThanOrEqual(box.x, fluke.x + sx, text, file: file, line: line)
        XCTAssertLessThanOrEqual(box.y, fluke.y + sy, text, file: file, line: line)
        XCTAssertGreaterThanOrEqual(box.x + box.width, fluke.x + fluke.width - sx, text, file: file, line: line)
        XCTAssertGreaterThanOrEqual(box.y + box.height, fluke.y + fluke.height - sy, text, file: file, line: line)
        XCTAssertLessThanOrEqual(box.width * box.height, 4 * fluke.width * fluke.height, text, file: file, line: line)
        XCTAssertGreaterThan(box.confidence, 0.5, text, file: file, line: line)
        XCTAssertLessThanOrEqual(box.confidence, 1, text, file: file, line: line)
    }

    func testBoxHoldsTheWholeFlukeInSyntheticScenes() throws {
        let sizes = [(640, 480), (800, 600), (1024, 576), (480, 480), (1200, 800)]
        for (i, size) in sizes.enumerated() {
            for seed in 1...8 {
                let scene = try SyntheticScene.render(width: size.0, height: size.1, individualSeed: UInt64(seed * 31 + i),
                                                      sceneSeed: UInt64(seed * 7 + i * 100), noise: seed % 3 == 0 ? 8 : 0)
                assertHolds(try FlukeFinder.find(in: scene.image), scene.flukeBox, "\(size.0)x\(size.1) seed \(seed)")
            }
        }
    }

    func testFindsTheFlukeInANoisyJPEGDecodedAtAQuarter() throws {
        let photo = FixturePhoto(width: 1600, height: 1200, individualSeed: 3, sceneSeed: 4, noise: 10)
        let image = try PhotoDecoder.decode(try photo.jpegBytes(), reduction: 4)
        XCTAssertEqual(image.width, 400)
        let full = try SyntheticScene.render(width: 1600, height: 1200, individualSeed: 3, sceneSeed: 4, noise: 10).flukeBox
        let quarter = (x: full.x / 4, y: full.y / 4, width: full.width / 4, height: full.height / 4)
        assertHolds(try FlukeFinder.find(in: image), quarter, slack: 3, "1600x1200 at 1/4")
    }

    func testCropHasTheRequestedSize() throws {
        let scene = try SyntheticScene.render(width: 640, height: 480, individualSeed: 5, sceneSeed: 6)
        let box = try FlukeFinder.find(in: scene.image)
        XCTAssertNotNil(box)
        for size in [224, 96, 1] {
            for fit in [FlukeFinder.Fit.stretch, .keepAspect] {
                for b in [box, nil] {
                    let crop = try FlukeFinder.crop(scene.image, to: b, margin: FlukeFinder.defaultMargin, size: size, fit: fit)
                    XCTAssertEqual(crop.width, size, "\(fit) \(String(describing: b))")
                    XCTAssertEqual(crop.height, size, "\(fit) \(String(describing: b))")
                }
            }
        }
    }

    func testCropOfABoxAtTheCornerIsFilledNotShifted() throws {
        // White, with a black 20x20 square in the top-left corner.
        let w = 400, h = 200
        var pixels = [UInt8](repeating: 255, count: w * h * 3)
        for y in 0..<20 {
            for x in 0..<20 {
                for c in 0..<3 { pixels[(y * w + x) * 3 + c] = 0 }
            }
        }
        let image = try DecodedImage(bgr: pixels, width: w, height: h)
        // A 100x50 box in the corner with a 25% margin: the region runs from (-25, -12.5) to
        // (125, 62.5), so the photo's corner lands at (37, 37) of the 224x224 crop, and the
        // black square covers about x 37..67, y 37..97. Left of and above it: the fill, the mean
        // colour along the cut (mostly white, a little black): light grey.
        let crop = try FlukeFinder.crop(image, to: FlukeBox(x: 0, y: 0, width: 100, height: 50, confidence: 1),
                                        margin: 0.25, size: 224)
        XCTAssertEqual(crop.width, 224)
        XCTAssertEqual(crop.height, 224)
        let out = try crop.bgrPixels()
        func blue(_ x: Int, _ y: Int) -> UInt8 { out[(y * 224 + x) * 3] }
        XCTAssertLessThan(blue(52, 67), 60, "the black square, where the photo's corner lands")
        XCTAssertGreaterThan(blue(150, 150), 200, "the white photo")
        XCTAssertGreaterThan(blue(5, 5), 150, "the fill")
        XCTAssertLessThan(blue(5, 5), 250, "the fill is the mean along the cut, not white")
    }

    func testWholeImageCropStretchesOrKeepsTheAspect() throws {
        // 400x200: left half black, right half white.
        let w = 400, h = 200
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in (w / 2)..<w {
                for c in 0..<3 { pixels[(y * w + x) * 3 + c] = 255 }
            }
        }
        let image = try DecodedImage(bgr: pixels, width: w, height: h)
        let stretched = try FlukeFinder.crop(image, to: nil, margin: 0.1, size: 64).bgrPixels()
        XCTAssertLessThan(stretched[(2 * 64 + 8) * 3], 40, "the photo fills the crop")
        XCTAssertGreaterThan(stretched[(2 * 64 + 56) * 3], 215, "the photo fills the crop")
        let kept = try FlukeFinder.crop(image, to: nil, margin: 0, size: 64, fit: .keepAspect).bgrPixels()
        XCTAssertLessThan(kept[(32 * 64 + 8) * 3], 40, "the photo in the middle rows")
        XCTAssertGreaterThan(kept[(32 * 64 + 56) * 3], 215, "the photo in the middle rows")
        XCTAssertGreaterThan(kept[(2 * 64 + 32) * 3], 60, "grey fill above")
        XCTAssertLessThan(kept[(2 * 64 + 32) * 3], 200, "grey fill above")
    }

    func testPlainImagesHaveNoFlukeOrALowConfidence() throws {
        var images: [(String, DecodedImage)] = []
        for value: UInt8 in [0, 128, 255] {
            images.append(("plain \(value)", try DecodedImage(bgr: [UInt8](repeating: value, count: 640 * 480 * 3),
                                                               width: 640, height: 480)))
        }
        // Grey with uniform noise of +-12, from a fixed generator.
        var state: UInt64 = 12345
        var noisy = [UInt8](repeating: 0, count: 640 * 480 * 3)
        for i in noisy.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            noisy[i] = UInt8(108 + Int((state >> 33) % 25))
        }
        images.append(("noisy grey", try DecodedImage(bgr: noisy, width: 640, height: 480)))
        for (label, image) in images {
            if let box = try FlukeFinder.find(in: image) {
                XCTAssertLessThan(box.confidence, 0.3, label)
            }
            // The fallback when nothing is found: the whole photo.
            let crop = try FlukeFinder.crop(image, to: nil, margin: FlukeFinder.defaultMargin, size: 224)
            XCTAssertEqual(crop.width, 224, label)
        }
        let tiny = try DecodedImage(bgr: [UInt8](repeating: 128, count: 10 * 10 * 3), width: 10, height: 10)
        XCTAssertNil(try FlukeFinder.find(in: tiny))
        XCTAssertEqual(try FlukeFinder.crop(tiny, to: nil, margin: 0.1, size: 224).width, 224)
    }

    func testBadCropRequestsAreErrorsNotCrashes() throws {
        let image = try DecodedImage(bgr: [UInt8](repeating: 9, count: 64 * 32 * 3), width: 64, height: 32)
        XCTAssertThrowsError(try FlukeFinder.crop(image, to: nil, margin: 0, size: 0)) { error in
            XCTAssertTrue(error is VisionError)
        }
        let huge = FlukeBox(x: 0, y: 0, width: Int(Int32.max), height: Int(Int32.max), confidence: 1)
        XCTAssertThrowsError(try FlukeFinder.crop(image, to: huge, margin: 0.1, size: 224)) { error in
            XCTAssertTrue(error is VisionError)
        }
        // A box wholly outside the photo is not an error: the nearest pixel, spread over the crop.
        let outside = FlukeBox(x: -5000, y: -5000, width: 10, height: 10, confidence: 1)
        XCTAssertEqual(try FlukeFinder.crop(image, to: outside, margin: 0.1, size: 32).bgrPixels(),
                       [UInt8](repeating: 9, count: 32 * 32 * 3))
    }
}
