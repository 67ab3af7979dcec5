@testable import FlukeMatch
import XCTest

final class GeometricRerankingTests: XCTestCase {
    func s(_ id: String, _ score: Float) -> IndividualScore { IndividualScore(individual: id, score: score, photoKey: "#\(id)") }

    func testInliersLiftALeaderAndAreCapped() throws {
        let ranked = [s("A", 0.50), s("B", 0.48), s("C", 0.30), s("D", 0.20)]
        let p = VerificationParameters(candidates: 3, weightPerInlier: 0.01, inlierCap: 30)
        let inliers = ["A": 2, "B": 12, "C": 500, "D": 90]
        let out = GeometricReranking.rerank(ranked, parameters: p) { inliers[$0.individual]! }
        XCTAssertEqual(out.map(\.individual), ["C", "B", "A"], "C capped at 30 inliers; D is beyond the candidates")
        XCTAssertEqual(out[0].score, 0.30 + 0.30, accuracy: 1e-6)
        XCTAssertEqual(out[1].score, 0.48 + 0.12, accuracy: 1e-6)
        XCTAssertEqual(out[1].photoKey, "#B")
        let all = GeometricReranking.overlay(ranked, with: out)
        XCTAssertEqual(all.map(\.individual), ["C", "B", "A", "D"])
    }

    func testAnIndividualsPhotosComeClosestFirst() throws {
        var gallery = try Gallery(embeddings: EmbeddingMatrix(dimension: 2), individuals: [], photoKeys: [], aggregation: .maximum)
        try gallery.add([1, 0], individual: "A", photoKey: "a1")
        try gallery.add([0, 1], individual: "A", photoKey: "a2")
        try gallery.add([0.8, 0.6], individual: "A", photoKey: "a3")
        try gallery.add([1, 0], individual: "B", photoKey: "b1")
        XCTAssertEqual(gallery.bestPhotoKeys(of: "A", query: [0.6, 0.8], count: 2), ["a3", "a2"])
        XCTAssertEqual(gallery.bestPhotoKeys(of: "A", query: [0.6, 0.8], count: 5, excluding: "a3"), ["a2", "a1"])
        XCTAssertEqual(gallery.bestPhotoKeys(of: "C", query: [0.6, 0.8], count: 2), [])
        XCTAssertEqual(gallery.bestPhotoKeys(of: "A", query: [0.6, 0.8], count: 0), [])
    }

    /// A stored recipe from before `photosPerCandidate` decodes as one photo per leader.
    func testVerificationStoredBeforePhotosPerCandidateDecodesAsOne() throws {
        let old = #"{"candidates":10,"inlierCap":30,"weightPerInlier":0.01}"#
        XCTAssertEqual(try JSONDecoder().decode(VerificationParameters.self, from: Data(old.utf8)).photosPerCandidate, 1)
        let standard = try JSONDecoder().decode(VerificationParameters.self, from: try JSONEncoder().encode(VerificationParameters.standard))
        XCTAssertEqual(standard, .standard)
        XCTAssertEqual(standard.photosPerCandidate, 2)
    }

    func testCalibrationVerifiesEachSimulatedQueryWithoutItsOwnPhoto() throws {
        var data = SyntheticData(seed: 5)
        let (x, labels) = data.clusters(individuals: 12, photosEach: 3, dimension: 8, signalDimensions: 8, noise: 0.2, nuisance: 0)
        var asked = 0
        let reranking = ThresholdCalibration.Reranking(depth: 6, photosPerCandidate: 3) { row, candidates, photos in
            asked += 1
            XCTAssertLessThanOrEqual(candidates.count, 6)
            XCTAssertFalse(candidates.contains { ThresholdCalibration.Reranking.row(of: $0) == row }, "a query never verifies against itself")
            for c in candidates {
                let keys = photos(c)
                XCTAssertEqual(keys.first, c.photoKey, "the closest photo first: the one that ranked the candidate")
                XCTAssertFalse(keys.contains("#\(row)"), "the query's own photo is never a candidate's photo")
                XCTAssertTrue(keys.allSatisfy { ThresholdCalibration.Reranking.row(ofKey: $0).map { labels[$0] } == c.individual })
                // Three photos each; a known query's own individual has two left.
                XCTAssertEqual(keys.count, c.individual == labels[row] ? 2 : 3)
            }
            // A perfect verifier: the right individual gains a lot.
            return GeometricReranking.rerank(candidates, parameters: VerificationParameters(candidates: 6)) {
                $0.individual == labels[row] ? 30 : 0
            }
        }
        let plain = try ThresholdCalibration.calibrate(features: x, labels: labels, projection: nil)
        let verified = try ThresholdCalibration.calibrate(features: x, labels: labels, projection: nil, reranking: reranking)
        XCTAssertEqual(asked, 36 + 36, "every photo asked once as known and once as new")
        XCTAssertGreaterThan(verified.policy.newThreshold, plain.policy.newThreshold, "thresholds follow the verified scale")
        let knownTop1 = verified.outcomes.filter { $0.truth != .new }.filter { $0.rankOfTruth == 1 }.count
        XCTAssertEqual(knownTop1, 36)
    }
}
