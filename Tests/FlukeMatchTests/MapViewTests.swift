import FlukeMatch
import XCTest

/// `MapView` turns and zooms a channels-last map about its centre, the way a view turns the image.
final class MapViewTests: XCTestCase {
    /// A height × width × channels map whose value names its position and channel.
    func map(height: Int, width: Int, channels: Int) -> [Float] {
        (0..<height * width * channels).map { i in
            let (position, channel) = (i / channels, i % channels)
            return Float(100 * channel + position)
        }
    }

    func testTheUnturnedUnzoomedViewIsTheMapItself() {
        let m = map(height: 4, width: 6, channels: 3)
        XCTAssertEqual(MapView(view: ViewTransform(degrees: 0, zoom: 1), height: 4, width: 6, channels: 3).apply(m), m)
    }

    /// A quarter turn counter-clockwise: the output's top-left corner shows the input's top-right
    /// one (y points down), in every channel, and the centre stays put.
    func testAQuarterTurnMovesEveryChannelAlike() {
        let m = map(height: 3, width: 3, channels: 2)
        let turned = MapView(view: ViewTransform(degrees: 90, zoom: 1), height: 3, width: 3, channels: 2).apply(m)
        func at(_ v: [Float], _ y: Int, _ x: Int, _ c: Int) -> Float { v[(y * 3 + x) * 2 + c] }
        for c in 0..<2 {
            XCTAssertEqual(at(turned, 0, 0, c), at(m, 0, 2, c), accuracy: 1e-5)
            XCTAssertEqual(at(turned, 0, 2, c), at(m, 2, 2, c), accuracy: 1e-5)
            XCTAssertEqual(at(turned, 2, 2, c), at(m, 2, 0, c), accuracy: 1e-5)
            XCTAssertEqual(at(turned, 1, 1, c), at(m, 1, 1, c), accuracy: 1e-5)
        }
        for (t, v) in zip(turned.sorted(), m.sorted()) { XCTAssertEqual(t, v, accuracy: 1e-4, "a quarter turn of a square map only moves values") }
    }

    /// Zoom 2 on a ramp along x halves its slope about the centre; zooming out repeats the rim.
    func testZoomMagnifiesAboutTheCentreAndClampsAtTheRim() {
        let ramp: [Float] = (0..<3).flatMap { _ in (0..<5).map(Float.init) }  // 3 rows of 0…4, one channel
        let closer = MapView(view: ViewTransform(degrees: 0, zoom: 2), height: 3, width: 5, channels: 1).apply(ramp)
        XCTAssertEqual(Array(closer[0..<5]), [1, 1.5, 2, 2.5, 3])
        let farther = MapView(view: ViewTransform(degrees: 0, zoom: 0.5), height: 3, width: 5, channels: 1).apply(ramp)
        XCTAssertEqual(Array(farther[5..<10]), [0, 0, 2, 4, 4])
    }
}
