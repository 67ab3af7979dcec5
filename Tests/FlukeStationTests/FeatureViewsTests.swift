import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeVision
import Foundation
import XCTest

/// The station's vector averages the crop with rotated, closer views of it; a recipe without
/// views still gets the crop's own pooled vector, exactly as before views existed.
final class FeatureViewsTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models").standardizedFileURL.path

    func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    func cosine(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } / (norm(a) * norm(b))
    }

    func testViewsAreAveragedIntoOneUnitVectorAndTheCropAloneIsUnchanged() throws {
        let package = try ModelPackage(directory: Self.models)
        var single = MatchingRecipe.station
        single.views = nil
        let both = try FeatureExtractor(package: package, recipe: .station, also: [single])
        let alone = try FeatureExtractor(package: package, recipe: single)
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480, individualSeed: 3, sceneSeed: 9).jpegBytes())

        let e = try both.extract(from: image, crop: .fluke)
        let (multi, one) = (e.vectors[0], e.vectors[1])
        XCTAssertEqual(one, try alone.extract(from: image, crop: .fluke).vectors[0], "one run serves both recipes")
        XCTAssertEqual(norm(multi), 1, accuracy: 1e-4)
        let agreement = cosine(multi, one)
        let other = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480, individualSeed: 4, sceneSeed: 9).jpegBytes())
        let otherWhale = cosine(multi, try both.extract(from: other, crop: .fluke).vectors[1])
        XCTAssertGreaterThan(agreement, 0.7, "the views are looks at the same fluke")
        XCTAssertGreaterThan(agreement, otherWhale + 0.05, "nearer the crop alone than another whale's crop is")
        XCTAssertLessThan(agreement, 0.999, "and they add something the crop alone does not have")

        XCTAssertEqual(both.featureVersion, package.version + MatchingRecipe.station.featureVersionSuffix)
        XCTAssertEqual(alone.featureVersion, package.version + "+grid\(MatchingRecipe.stationGrid)",
                       "the station's whole 14×14 map is another feature space than the historical 7×7 grid")
        XCTAssertEqual(multi.count, 80 * MatchingRecipe.stationGrid * MatchingRecipe.stationGrid)
        XCTAssertGreaterThan(both.lastEmbedSeconds, 0)
    }
}
