@testable import FlukeMatch
import XCTest

final class GridPoolingTests: XCTestCase {
    func testPoolsEqualBlocksChannelMajorAndNormalises() throws {
        // 2 channels, 4×4, grid 2: channel 0 holds 1…16 row-major, channel 1 is constant 2.
        let c0 = (1...16).map(Float.init), c1 = [Float](repeating: 2, count: 16)
        let pooled = try GridPooling(grid: 2).pool(c0 + c1, channels: 2, height: 4, width: 4, layout: .channelsFirst)
        // Block means of channel 0: (1+2+5+6)/4 = 3.5, 5.5, 11.5, 13.5.
        let raw: [Float] = [3.5, 5.5, 11.5, 13.5, 2, 2, 2, 2]
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (a, b) in zip(pooled, raw.map { $0 / norm }) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testChannelsLastGivesTheSameVectorAsChannelsFirst() throws {
        var data = SyntheticData(seed: 3)
        let (c, h, w) = (5, 14, 14)
        let chw = data.vector(c * h * w)
        var hwc = [Float](repeating: 0, count: chw.count)
        for ch in 0..<c { for y in 0..<h { for x in 0..<w { hwc[(y * w + x) * c + ch] = chw[(ch * h + y) * w + x] } } }
        for grid in [1, 2, 4, 7] {
            let a = try GridPooling(grid: grid).pool(chw, channels: c, height: h, width: w, layout: .channelsFirst)
            let b = try GridPooling(grid: grid).pool(hwc, channels: c, height: h, width: w, layout: .channelsLast)
            XCTAssertEqual(a.count, c * grid * grid)
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    func testRejectsMismatchedShapes() {
        XCTAssertThrowsError(try GridPooling(grid: 7).pool([1, 2, 3], channels: 1, height: 2, width: 2, layout: .channelsFirst))
        XCTAssertThrowsError(try GridPooling(grid: 7).pool([1, 2, 3, 4], channels: 1, height: 2, width: 2, layout: .channelsFirst)) {
            XCTAssertEqual($0 as? GridPoolingError, .gridLargerThanMap(grid: 7, height: 2, width: 2))
        }
    }
}
