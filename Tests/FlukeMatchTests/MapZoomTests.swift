import FlukeMatch
import Foundation
import XCTest

final class MapZoomTests: XCTestCase {
    func testZoomOneIsTheMapItself() {
        let map: [Float] = (0..<(2 * 14 * 14)).map { Float(($0 * 37) % 101) / 7 }
        XCTAssertEqual(MapZoom(factor: 1, grid: 14).apply(map), map)
    }

    /// 3×3, zoom 2: output cell i reads the input at 1 + (i − 1) / 2, so a corner blends the four
    /// cells around it equally, an edge middle two cells, and the centre stays.
    func testEachCellReadsTheMapNearerItsCentre() {
        let one: [Float] = [1, 2, 3,
                            4, 5, 6,
                            7, 8, 9]
        let zoomed = MapZoom(factor: 2, grid: 3).apply(one + one.map { $0 * 10 })
        let expected: [Float] = [3, 3.5, 4,
                                 4.5, 5, 5.5,
                                 6, 6.5, 7]
        for (i, e) in (expected + expected.map { $0 * 10 }).enumerated() {
            XCTAssertEqual(zoomed[i], e, accuracy: 1e-5, "cell \(i): each channel zoomed on its own")
        }
    }

    /// A magnification below 1 would read past the edge: the edge cells repeat, nothing reads
    /// outside the map, and a constant map stays constant whatever the zoom.
    func testCellsPastTheEdgeRepeatTheEdgeAndWeightsSumToOne() {
        let ramp: [Float] = (0..<16).map { Float($0 % 4) }
        // Columns read at 1.5 + (x − 1.5) / 0.5 = −1.5, 0.5, 2.5, 4.5: the outer two clamp to the edge.
        XCTAssertEqual(MapZoom(factor: 0.5, grid: 4).apply(ramp).prefix(4).map { $0 }, [0, 0.5, 2.5, 3])
        for factor in [0.5, 1.18, 1.35, 3.0] {
            for v in MapZoom(factor: factor, grid: 14).apply([Float](repeating: 2.5, count: 3 * 196)) {
                XCTAssertEqual(v, 2.5, accuracy: 1e-5)
            }
        }
    }

    /// Vectors averaged with other map zooms are another feature space: the stored version names
    /// the zooms; recipes stored before zooms existed decode with none and keep their version.
    func testTheFeatureVersionNamesTheZoomsAndOldRecipesDecodeWithout() throws {
        var recipe = MatchingRecipe.compact
        recipe.grid = 14
        recipe.views = ViewTransform.standard
        let before = recipe.featureVersionSuffix
        recipe.mapZooms = []
        XCTAssertEqual(recipe.featureVersionSuffix, before, "an empty list is no zoom")
        recipe.mapZooms = [1.18, 1.35]
        XCTAssertEqual(recipe.featureVersionSuffix, before + "+mapzoom1.18_1.35")
        recipe.mapZooms = [1.2]
        XCTAssertEqual(recipe.featureVersionSuffix, before + "+mapzoom1.2")

        var old = recipe
        old.mapZooms = nil
        let json = try JSONEncoder().encode(old)
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("mapZooms"))
        XCTAssertNil(try JSONDecoder().decode(MatchingRecipe.self, from: json).mapZooms)
        XCTAssertEqual(try JSONDecoder().decode(MatchingRecipe.self, from: try JSONEncoder().encode(recipe)), recipe)
    }
}
