import FlukeFixtures
import FlukeReference
import FlukeVision
import XCTest

/// SIFT features and the similarity-RANSAC inlier count, on the project's own synthetic whales:
/// the same individual in two different scenes shares many consistent matches, another
/// individual few.
final class LocalFeaturesTests: XCTestCase {
    func flukeCrop(individual: UInt64, scene: UInt64) throws -> DecodedImage {
        let photo = try PhotoDecoder.decode(try FixturePhoto(width: 800, height: 600, individualSeed: individual,
                                                             sceneSeed: scene, noise: 3).jpegBytes())
        return try FlukeFinder.crop(photo, to: try FlukeFinder.find(in: photo), margin: FlukeFinder.defaultMargin, size: 224)
    }

    func testTheSameWhaleSharesFarMoreConsistentMatchesThanAnother() throws {
        let a1 = try LocalFeatures.extract(from: try flukeCrop(individual: 11, scene: 1))
        let a2 = try LocalFeatures.extract(from: try flukeCrop(individual: 11, scene: 2))
        XCTAssertGreaterThan(a1.count, 30)
        XCTAssertLessThanOrEqual(a1.count, LocalFeatures.defaultMaxKeypoints)
        XCTAssertEqual(a1.blob.count, 8 + a1.count * 136)
        var others: [Int] = []
        for individual in [12, 13, 14] as [UInt64] {
            others.append(try a1.inliers(with: try LocalFeatures.extract(from: try flukeCrop(individual: individual, scene: 2))))
        }
        let same = try a1.inliers(with: a2)
        XCTAssertGreaterThan(same, 2 * (others.max() ?? 0) + 5, "same \(same), others \(others)")
        XCTAssertEqual(try a1.inliers(with: a2), same, "RANSAC is seeded: the same pair, the same count")
        XCTAssertGreaterThanOrEqual(try a1.inliers(with: a1), min(a1.count, 30), "a crop matches itself")
    }

    /// The shim's sgemm matcher claims exactly OpenCV's brute-force matches (integer distances
    /// are exact in float); held against BFMatcher itself on same-whale and other-whale pairs.
    func testRatioTestMatchesAreOpenCVBruteForceMatches() throws {
        let crops = try [(11, 1), (11, 2), (12, 2), (13, 3)].map { individual, scene in
            try LocalFeatures.extract(from: try flukeCrop(individual: UInt64(individual), scene: UInt64(scene)))
        }
        var compared = 0
        for a in crops {
            for b in crops {
                let ours = try a.ratioTestMatches(with: b)
                let reference = try OpenCVMatcher.ratioTestMatches(a, b)
                XCTAssertTrue(ours.elementsEqual(reference, by: ==), "\(ours.count) matches against OpenCV's \(reference.count)")
                compared += reference.count
            }
        }
        XCTAssertGreaterThan(compared, 200, "the pairs must share matches for the comparison to mean anything")
    }

    func testAFeaturelessCropAndADamagedBlob() throws {
        let flat = try DecodedImage(bgr: [UInt8](repeating: 120, count: 224 * 224 * 3), width: 224, height: 224)
        let none = try LocalFeatures.extract(from: flat)
        XCTAssertEqual(none.count, 0)
        let some = try LocalFeatures.extract(from: try flukeCrop(individual: 11, scene: 1))
        XCTAssertEqual(try none.inliers(with: some), 0)
        XCTAssertThrowsError(try LocalFeatures(blob: Array(some.blob.dropLast()))) { error in
            XCTAssertTrue("\(error)".contains("damaged local-feature record"), "\(error)")
        }
        XCTAssertThrowsError(try LocalFeatures(blob: [0x46, 0x57, 0x4C, 0x46, 1, 0, 1, 0]))
    }
}
