import FlukeMatch
import Foundation
import XCTest

final class ViewTransformTests: XCTestCase {
    /// Vectors averaged over other views are another feature space: the version they are stored
    /// under must change with the views, and stay as it was without any.
    func testTheFeatureVersionSuffixFollowsTheViews() {
        var recipe = MatchingRecipe.compact
        XCTAssertEqual(recipe.featureVersionSuffix, "")
        recipe.views = []
        XCTAssertEqual(recipe.featureVersionSuffix, "", "an empty list is the crop alone")
        recipe.views = ViewTransform.standard
        let standard = recipe.featureVersionSuffix
        let prefix = "+views\(ViewTransform.standard.count + 1)-"
        XCTAssertTrue(standard.hasPrefix(prefix), standard)
        XCTAssertEqual(standard.count, prefix.count + 8)
        var other = ViewTransform.standard
        other[other.count - 1].zoom += 0.02
        recipe.views = other
        XCTAssertNotEqual(recipe.featureVersionSuffix, standard, "one zoom changed")
        XCTAssertTrue(recipe.featureVersionSuffix.hasPrefix(prefix))
    }

    /// Vectors pooled on another grid are another length: the version names the grid, except
    /// the historical 7×7 one (catalogs embedded before the grid changed keep their version).
    func testTheFeatureVersionSuffixNamesAGridOtherThanTheHistoricalOne() {
        var recipe = MatchingRecipe.compact
        XCTAssertEqual(recipe.grid, MatchingRecipe.historicalGrid)
        XCTAssertEqual(recipe.featureVersionSuffix, "")
        recipe.grid = 14
        XCTAssertEqual(recipe.featureVersionSuffix, "+grid14")
        recipe.views = ViewTransform.standard
        var sevenWithViews = recipe
        sevenWithViews.grid = 7
        XCTAssertEqual(recipe.featureVersionSuffix, "+grid14" + sevenWithViews.featureVersionSuffix)
        XCTAssertTrue(sevenWithViews.featureVersionSuffix.hasPrefix("+views5-"))
    }

    /// Recipes stored with a fitted catalog before views existed still decode: as the crop alone.
    func testARecipeStoredBeforeViewsDecodesAsTheCropAlone() throws {
        var old = MatchingRecipe.compact
        old.views = nil
        let json = try JSONEncoder().encode(old)
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("views"))
        let decoded = try JSONDecoder().decode(MatchingRecipe.self, from: json)
        XCTAssertNil(decoded.views)
        XCTAssertEqual(decoded.featureVersionSuffix, "")
        var current = MatchingRecipe.compact
        current.views = ViewTransform.standard
        XCTAssertEqual(try JSONDecoder().decode(MatchingRecipe.self, from: try JSONEncoder().encode(current)), current)
    }
}
