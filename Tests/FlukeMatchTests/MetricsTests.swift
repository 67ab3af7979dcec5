@testable import FlukeMatch
import XCTest

final class MetricsTests: XCTestCase {
    static func candidates(_ pairs: [(String, Float)]) -> [IndividualScore] {
        pairs.map { IndividualScore(individual: $0.0, score: $0.1, photoKey: "\($0.0).jpg") }
    }

    /// Five queries whose MAP@5 at threshold 0.75 was worked out by hand (see each line).
    static let handOutcomes: [QueryOutcome] = {
        let abcde = candidates([("A", 0.9), ("B", 0.8), ("C", 0.7), ("D", 0.6), ("E", 0.5)])
        return [
            // [A, B, new_whale, C, D]: A first → 1
            QueryOutcome(truth: .known("A"), candidates: abcde),
            // [A, B, new_whale, C, D]: C fourth → 1/4
            QueryOutcome(truth: .known("C"), candidates: abcde),
            // [new_whale, A, B, C, D]: → 1
            QueryOutcome(truth: .new, candidates: candidates([("A", 0.6), ("B", 0.5), ("C", 0.4), ("D", 0.3), ("E", 0.2)])),
            // [B, new_whale, A, C, D]: → 1/2
            QueryOutcome(truth: .new, candidates: candidates([("B", 0.8), ("A", 0.7), ("C", 0.4), ("D", 0.3), ("E", 0.2)])),
            // [new_whale, A, B, C, D], Z absent → 0
            QueryOutcome(truth: .known("Z"), candidates: candidates([("A", 0.2), ("B", 0.1), ("C", 0.0), ("D", -0.1), ("E", -0.2)])),
        ]
    }()

    func testKagglePredictionPlacesNewWhaleAtTheThreshold() {
        let c = Self.candidates([("A", 0.9), ("B", 0.8), ("C", 0.7), ("D", 0.6), ("E", 0.5)])
        XCTAssertEqual(Metrics.kagglePrediction(candidates: c, newThreshold: 0.75), ["A", "B", "new_whale", "C", "D"])
        XCTAssertEqual(Metrics.kagglePrediction(candidates: c, newThreshold: 0.95), ["new_whale", "A", "B", "C", "D"])
        XCTAssertEqual(Metrics.kagglePrediction(candidates: c, newThreshold: 0.1), ["A", "B", "C", "D", "E"])
        // A score equal to the threshold stays ahead of new_whale.
        XCTAssertEqual(Metrics.kagglePrediction(candidates: c, newThreshold: 0.8), ["A", "B", "new_whale", "C", "D"])
        XCTAssertEqual(Metrics.kagglePrediction(candidates: [], newThreshold: 0.5), ["new_whale"])
    }

    func testReportMatchesTheHandComputation() {
        let r = Metrics.report(Self.handOutcomes, newThreshold: 0.75)
        XCTAssertEqual(r.map5, (1 + 0.25 + 1 + 0.5 + 0) / 5, accuracy: 1e-12)
        XCTAssertEqual(r.map5Known, (1 + 0.25 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(r.map5New, (1 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(r.map5IfAllNew, 0.4, accuracy: 1e-12)
        XCTAssertEqual(r.top1, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(r.top5, 2.0 / 3, accuracy: 1e-12)
        let third: Double = 1.0 / 3, twoThirds: Double = 2.0 / 3
        XCTAssertEqual(r.cmc, [third, third, twoThirds, twoThirds, twoThirds])
        XCTAssertEqual(r.predictedNew, 2)
        XCTAssertEqual(r.newPrecision, 0.5)
        XCTAssertEqual(r.newRecall, 0.5)
        XCTAssertEqual(r.knownQueries, 3)
        XCTAssertEqual(r.newQueries, 2)
    }

    func testBestNewThresholdEqualsABruteForceSearch() {
        var data = SyntheticData(seed: 5)
        var outcomes = Self.handOutcomes
        for q in 0..<200 {
            var scores = (0..<5).map { _ in data.gaussian() * 0.2 + 0.5 }.sorted(by: >)
            scores = scores.map { ($0 * 1000).rounded() / 1000 }  // force ties between queries
            let names = (0..<5).map { "id\((q + $0 * 7) % 40)" }
            let truth: QueryTruth = q % 3 == 0 ? .new : .known(q % 5 == 1 ? "absent" : names[q % 5])
            outcomes.append(QueryOutcome(truth: truth, candidates: zip(names, scores).map {
                IndividualScore(individual: $0, score: $1, photoKey: $0)
            }))
        }
        let (t, best) = ThresholdSearch.bestNewThreshold(outcomes)
        XCTAssertEqual(Metrics.report(outcomes, newThreshold: t).map5, best, accuracy: 1e-12)
        var bruteBest = 0.0
        for step in -200...1400 {
            bruteBest = max(bruteBest, Metrics.report(outcomes, newThreshold: Float(step) / 1000 + 0.0005).map5)
        }
        XCTAssertEqual(best, bruteBest, accuracy: 1e-12)
    }

    func testMatchThresholdReachesTheAskedPrecision() {
        // Best scores 0.9 (right), 0.8 (right), 0.7 (wrong), 0.6 (right), 0.5 (new).
        let o = [
            QueryOutcome(truth: .known("A"), candidates: Self.candidates([("A", 0.9)])),
            QueryOutcome(truth: .known("B"), candidates: Self.candidates([("B", 0.8)])),
            QueryOutcome(truth: .known("C"), candidates: Self.candidates([("X", 0.7)])),
            QueryOutcome(truth: .known("D"), candidates: Self.candidates([("D", 0.6)])),
            QueryOutcome(truth: .new, candidates: Self.candidates([("E", 0.5)])),
        ]
        XCTAssertEqual(ThresholdSearch.matchThreshold(o, newThreshold: 0, precision: 1.0), 0.75, accuracy: 1e-6)
        // 3 of 4 right above 0.55.
        XCTAssertEqual(ThresholdSearch.matchThreshold(o, newThreshold: 0, precision: 0.75), 0.55, accuracy: 1e-6)
        // Never below the new threshold.
        XCTAssertEqual(ThresholdSearch.matchThreshold(o, newThreshold: 0.85, precision: 0.5), 0.85, accuracy: 1e-6)
        // Unreachable precision: above every score.
        let wrong = [QueryOutcome(truth: .known("A"), candidates: Self.candidates([("B", 0.9)]))]
        XCTAssertGreaterThan(ThresholdSearch.matchThreshold(wrong, newThreshold: 0, precision: 0.9), 0.9)
    }
}
