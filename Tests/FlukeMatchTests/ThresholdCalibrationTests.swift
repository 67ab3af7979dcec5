@testable import FlukeMatch
import XCTest

final class ThresholdCalibrationTests: XCTestCase {
    func testThresholdsSeparateKnownFromNewOnWellSeparatedClusters() throws {
        var data = SyntheticData(seed: 21)
        var (x, labels) = data.clusters(individuals: 40, photosEach: 4, dimension: 16, signalDimensions: 16,
                                        noise: 0.15, nuisance: 0)
        // One singleton individual: it can only be a 'new' query.
        x.append(VectorMath.normalized(data.vector(16)))
        labels.append("whale_single")
        let result = try ThresholdCalibration.calibrate(features: x, labels: labels, projection: nil)
        XCTAssertEqual(result.knownQueries, 160)
        XCTAssertEqual(result.newQueries, 161)
        XCTAssertGreaterThan(result.simulatedMAP5, 0.95)
        let known = result.outcomes.filter { $0.truth != .new }.map { $0.candidates[0].score }
        let new = result.outcomes.filter { $0.truth == .new }.map { $0.candidates[0].score }
        let t = result.policy.newThreshold
        XCTAssertGreaterThan(Double(known.filter { $0 >= t }.count) / Double(known.count), 0.95)
        XCTAssertGreaterThan(Double(new.filter { $0 < t }.count) / Double(new.count), 0.95)
        XCTAssertGreaterThanOrEqual(result.policy.matchThreshold, t)
    }

    func testCalibrationWithAProjectionIsDeterministicInBothValidations() throws {
        let d = ProjectionTests.nuisanceClusters()
        let projection = Projection.Parameters(pcaDimension: 40, alpha: 0.3, outputDimension: 8)
        for validation in [ThresholdCalibration.Validation.individualFolds, .individualAndPhotoFolds] {
            let params = ThresholdCalibration.Parameters(folds: 5, seed: 3, matchPrecision: 0.9, validation: validation)
            let a = try ThresholdCalibration.calibrate(features: d.train, labels: d.trainLabels, projection: projection,
                                                       parameters: params)
            let b = try ThresholdCalibration.calibrate(features: d.train, labels: d.trainLabels, projection: projection,
                                                       parameters: params)
            XCTAssertEqual(a.policy, b.policy)
            XCTAssertEqual(a.knownQueries, 300)
            XCTAssertEqual(a.newQueries, 300)
            // Calling every query new would score 0.5 here (half the simulated queries are new).
            XCTAssertGreaterThan(a.simulatedMAP5, 0.8, "\(validation)")
            // The reported MAP@5 is what Metrics computes at the chosen threshold.
            XCTAssertEqual(Metrics.report(a.outcomes, newThreshold: a.policy.newThreshold).map5, a.simulatedMAP5,
                           accuracy: 1e-12)
        }
    }

    func testFoldsCoverEveryIndividualOnce() {
        let labels = (0..<50).flatMap { i in Array(repeating: "id\(i)", count: 1 + i % 3) }
        let folds = ThresholdCalibration.foldsByIndividual(labels, folds: 5, seed: 9)
        var foldOf: [String: Int] = [:]
        for (l, f) in zip(labels, folds) {
            XCTAssertEqual(foldOf[l] ?? f, f, "an individual is split across folds")
            foldOf[l] = f
        }
        XCTAssertEqual(Dictionary(grouping: foldOf.values, by: { $0 }).mapValues(\.count), [0: 10, 1: 10, 2: 10, 3: 10, 4: 10])
    }

    func testRefusesTooFewIndividualsForTheFolds() {
        let x = EmbeddingMatrix(rows: [[1, 0], [0, 1], [1, 1]])
        XCTAssertThrowsError(try ThresholdCalibration.calibrate(features: x, labels: ["a", "b", "b"],
                                                                projection: .init(pcaDimension: 2))) {
            XCTAssertEqual($0 as? CalibrationError, .tooFewIndividuals(have: 2, folds: 5))
        }
    }
}
