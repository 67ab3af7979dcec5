@testable import FlukeMatch
import XCTest

/// Outcomes read at different thresholds, pooled: every count must be the sum of the groups' own.
final class PooledMetricsTests: XCTestCase {
    private func randomOutcomes(_ count: Int, seed: UInt64) -> [QueryOutcome] {
        var data = SyntheticData(seed: seed)
        return (0..<count).map { q in
            let scores = (0..<5).map { _ in Float(((data.gaussian() * 0.2 + 0.4) * 1000).rounded() / 1000) }.sorted(by: >)
            let names = (0..<5).map { "id\((q + $0 * 3) % 17)" }
            let truth: QueryTruth = q % 4 == 0 ? .new : .known(names[q % 5])
            return QueryOutcome(truth: truth, candidates: zip(names, scores).map { IndividualScore(individual: $0, score: $1, photoKey: $0) },
                                mayBeNew: q % 11 != 3)
        }
    }

    func testPooledGroupsGiveTheSumOfTheirOwnReports() {
        let first = MetricsTests.handOutcomes, second = randomOutcomes(150, seed: 9)
        // 0.8 is exactly one hand candidate's score: it must stay ahead of new_whale after the shift.
        let a = Metrics.report(first, newThreshold: 0.8), b = Metrics.report(second, newThreshold: 0.377)
        let pooled = Metrics.pooledReport([(first, 0.8), (second, 0.377)])
        let n = Double(a.queries + b.queries)
        XCTAssertEqual(pooled.queries, a.queries + b.queries)
        XCTAssertEqual(pooled.knownQueries, a.knownQueries + b.knownQueries)
        XCTAssertEqual(pooled.predictedNew, a.predictedNew + b.predictedNew)
        XCTAssertEqual(pooled.map5, (a.map5 * Double(a.queries) + b.map5 * Double(b.queries)) / n, accuracy: 1e-12)
        let known = Double(pooled.knownQueries)
        XCTAssertEqual(pooled.top1, (a.top1 * Double(a.knownQueries) + b.top1 * Double(b.knownQueries)) / known, accuracy: 1e-12)
        XCTAssertEqual(pooled.top5, (a.top5 * Double(a.knownQueries) + b.top5 * Double(b.knownQueries)) / known, accuracy: 1e-12)
        let truePredicted = a.newPrecision * Double(a.predictedNew) + b.newPrecision * Double(b.predictedNew)
        XCTAssertEqual(pooled.newPrecision, truePredicted / Double(pooled.predictedNew), accuracy: 1e-12)
        XCTAssertEqual(pooled.newThreshold, 0)
    }

    func testReadingOneGroupFromItsOwnThresholdChangesNothing() {
        let outcomes = randomOutcomes(200, seed: 4)
        for t: Float in [0.2, 0.377, 0.4, 0.55] {
            var own = Metrics.report(outcomes, newThreshold: t)
            own.newThreshold = 0
            XCTAssertEqual(Metrics.pooledReport([(outcomes, t)]), own, "threshold \(t)")
        }
    }

    func testPoolingAtOneThresholdWithoutMeasuringWouldMoveCalls() {
        // The check above could pass by accident if thresholds did not matter: they do.
        let outcomes = randomOutcomes(200, seed: 4)
        XCTAssertNotEqual(Metrics.report(outcomes, newThreshold: 0.2).predictedNew, Metrics.report(outcomes, newThreshold: 0.55).predictedNew)
    }
}
