import FlukeVision
import XCTest

/// The extra views the station embeds: OpenCV's warp, checked on pixels whose place is known.
final class RGBViewTests: XCTestCase {
    /// A `size`² RGB square, black but for one pixel set to (r, g, b) = (200, 100, 50).
    func square(_ size: Int, dot: (x: Int, y: Int)) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: size * size * 3)
        let i = (dot.y * size + dot.x) * 3
        rgb[i] = 200; rgb[i + 1] = 100; rgb[i + 2] = 50
        return rgb
    }

    func brightest(_ rgb: [UInt8], size: Int) -> (x: Int, y: Int) {
        let i = stride(from: 0, to: rgb.count, by: 3).max { rgb[$0] < rgb[$1] }! / 3
        return (i % size, i / size)
    }

    func testNoRotationAndNoZoomIsTheSamePicture() throws {
        let rgb = (0..<(32 * 32 * 3)).map { UInt8(($0 * 37) % 251) }
        XCTAssertEqual(try RGBView.warped(rgb, size: 32, degrees: 0, zoom: 1), rgb)
    }

    func testRotationIsCounterClockwiseAboutTheCentreAndZoomMovesAwayFromIt() throws {
        // Size 33: the centre is pixel 16. A dot 8 px right of it, turned 90° counter-clockwise,
        // is 8 px above it (image rows grow downwards).
        let turned = try RGBView.warped(square(33, dot: (24, 16)), size: 33, degrees: 90, zoom: 1)
        XCTAssertTrue(brightest(turned, size: 33) == (16, 8), "\(brightest(turned, size: 33))")
        let closer = try RGBView.warped(square(33, dot: (24, 16)), size: 33, degrees: 0, zoom: 1.5)
        XCTAssertTrue(brightest(closer, size: 33) == (28, 16), "\(brightest(closer, size: 33))")
        // The colour channels travel together.
        let i = (16 * 33 + 28) * 3
        XCTAssertEqual(closer[i] > closer[i + 1] && closer[i + 1] > closer[i + 2], true)
    }

    func testEdgesAreReplicatedNotBlack() throws {
        let grey = [UInt8](repeating: 90, count: 16 * 16 * 3)
        XCTAssertEqual(try RGBView.warped(grey, size: 16, degrees: 30, zoom: 0.8), grey, "no black corners when turned")
    }
}
