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
        var views = MatchingRecipe.stationWithImageViews
        views.mapZooms = nil  // tested below
        var single = views
        single.views = nil
        let both = try FeatureExtractor(package: package, recipe: views, also: [single])
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

        XCTAssertEqual(both.featureVersion, package.version + views.featureVersionSuffix)
        XCTAssertEqual(alone.featureVersion, package.version + "+grid\(MatchingRecipe.stationGrid)",
                       "the station's whole 14×14 map is another feature space than the historical 7×7 grid")
        XCTAssertEqual(multi.count, 80 * MatchingRecipe.stationGrid * MatchingRecipe.stationGrid)
        XCTAssertGreaterThan(both.lastEmbedSeconds, 0)
    }

    /// A map zoom is averaged in like one more look: the crop's pooled map and its zoomed copy,
    /// each normalised, summed and normalised again; with views, every view's map is zoomed too.
    func testMapZoomsAreAveragedInLikeLooks() throws {
        let package = try ModelPackage(directory: Self.models)
        var plain = MatchingRecipe.station
        plain.views = nil
        plain.mapZooms = nil
        var zoomed = plain
        zoomed.mapZooms = [2]
        var viewsOnly = MatchingRecipe.station
        viewsOnly.mapZooms = nil
        let extractor = try FeatureExtractor(package: package, recipe: zoomed, also: [plain, .station, viewsOnly])
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480, individualSeed: 5, sceneSeed: 2).jpegBytes())
        let v = try extractor.extract(from: image, crop: .fluke).vectors

        let p = v[1]
        let z = MapZoom(factor: 2, grid: MatchingRecipe.stationGrid).apply(p)
        let zNorm = Float(norm(z))
        let sum = zip(p, z).map { $0 + $1 / zNorm }
        let sumNorm = Float(norm(sum))
        let expected = sum.map { $0 / sumNorm }
        XCTAssertEqual(v[0].count, expected.count)
        for i in stride(from: 0, to: expected.count, by: 97) {
            XCTAssertEqual(v[0][i], expected[i], accuracy: 1e-6)
        }
        XCTAssertEqual(norm(v[2]), 1, accuracy: 1e-4)
        let c = cosine(v[2], v[3])
        XCTAssertGreaterThan(c, 0.8, "the station's zooms are looks at the same maps")
        XCTAssertLessThan(c, 0.9999, "and change the vector")
        XCTAssertTrue(extractor.featureVersion.hasSuffix("+mapzoom2"))
    }

    /// `fast_embedding`: the station's vector from the crop's run alone (and its map zooms), the
    /// same look the five-look vector starts from, under a feature version of its own.
    func testTheFastRecipeIsTheCropsOwnLookFromOneRun() throws {
        let package = try ModelPackage(directory: Self.models)
        let fast = try FeatureExtractor(package: package, recipe: .fastStation)
        let both = try FeatureExtractor(package: package, recipe: .station, also: [.fastStation])
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480, individualSeed: 6, sceneSeed: 4).jpegBytes())
        let alone = try fast.extract(from: image, crop: .fluke).vectors[0]
        let five = try both.extract(from: image, crop: .fluke).vectors
        XCTAssertEqual(alone, five[1], "the fast vector is the crop's look of the five-look run")
        XCTAssertNotEqual(alone, five[0])
        XCTAssertEqual(norm(alone), 1, accuracy: 1e-4)
        XCTAssertEqual(MatchingRecipe.fastStation.extraViews, [])
        XCTAssertEqual(MatchingRecipe.fastStation.extraMapZooms, MatchingRecipe.station.extraMapZooms)
        XCTAssertEqual(MatchingRecipe.fastStation.verification, MatchingRecipe.station.verification)
        XCTAssertEqual(fast.featureVersion, package.version + "+grid\(MatchingRecipe.stationGrid)+mapzoom1.18_1.35")
        XCTAssertNotEqual(fast.featureVersion, both.featureVersion, "another feature space: a switch re-embeds the catalog")
    }

    /// Views made at an inner map (`views_at`): a view that neither turns nor zooms is the crop's
    /// own look again, so the vector is the crop alone's; the station's four views made there are
    /// looks at the same fluke, another vector than the image views', under their own version.
    func testViewsMadeAtAnInnerMap() throws {
        let package = try ModelPackage(directory: Self.models)
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 640, height: 480, individualSeed: 7, sceneSeed: 5).jpegBytes())
        var unturned = MatchingRecipe.fastStation
        unturned.views = [ViewTransform(degrees: 0, zoom: 1)]
        let same = try FeatureExtractor(package: package, recipe: unturned.viewsMade(at: "b2_out"), also: [.fastStation])
        let v = try same.extract(from: image, crop: .fluke).vectors
        XCTAssertEqual(v[0].count, v[1].count)
        for i in stride(from: 0, to: v[0].count, by: 53) { XCTAssertEqual(v[0][i], v[1][i], accuracy: 1e-6) }

        for at in MatchingRecipe.innerViewTensors {
            let inner = MatchingRecipe.station.viewsMade(at: at)
            let extractor = try FeatureExtractor(package: package, recipe: inner, also: [.stationWithImageViews, .fastStation])
            let e = try extractor.extract(from: image, crop: .fluke).vectors
            XCTAssertEqual(norm(e[0]), 1, accuracy: 1e-4)
            XCTAssertGreaterThan(cosine(e[0], e[1]), 0.9, "views made at \(at) are looks at the same fluke as the image views")
            XCTAssertLessThan(cosine(e[0], e[1]), 0.9999, "but not the same looks")
            XCTAssertNotEqual(e[0], e[2], "and they add something to the crop alone")
            XCTAssertEqual(extractor.featureVersion,
                           package.featureVersion(.stationWithImageViews).replacingOccurrences(of: "+mapzoom", with: "@\(at)+mapzoom"),
                           "another feature space: switching views_at re-embeds the catalog")
            XCTAssertEqual(try FeatureExtractor(package: package, recipe: inner).extract(from: image, crop: .fluke).vectors[0], e[0])
        }
        XCTAssertEqual(MatchingRecipe.station.viewsMade(at: "b2_out").withoutViews, .fastStation)
        XCTAssertEqual(MatchingRecipe.station, MatchingRecipe.stationWithImageViews.viewsMade(at: "s8_c40"),
                       "the station's views are made at the stride-8 map")
        XCTAssertEqual(MatchingRecipe.station.viewsMade(at: "s8_c40").embeddingWork, "1 network run a photo and 4 views made at its s8_c40 map")
        XCTAssertThrowsError(try FeatureExtractor(package: package, recipe: MatchingRecipe.station.viewsMade(at: "b99_out")))
    }
}
