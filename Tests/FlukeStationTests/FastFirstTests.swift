import FlukeMatch
@testable import FlukeStation
import XCTest

/// `evaluate --fast-first`: which one-run answers stand without the views, and how a query
/// answered by the one-run trial is read under the station trial's thresholds.
final class FastFirstTests: XCTestCase {
    func score(_ individual: String, _ score: Float) -> IndividualScore {
        IndividualScore(individual: individual, score: score, photoKey: "0")
    }

    func testAOneRunAnswerStandsOnlyWhenItIsAClearMatchOrClearlyNew() throws {
        let policy = try DecisionPolicy(newThreshold: 0.30, matchThreshold: 0.35)
        func stands(_ ranking: [IndividualScore]) -> Bool {
            Evaluator.fastAnswerStands(ranking, policy: policy, match: 0.1, new: 0.05)
        }
        XCTAssertTrue(stands([score("A", 0.60), score("B", 0.40)]), "a match 0.2 ahead")
        XCTAssertFalse(stands([score("A", 0.60), score("B", 0.55)]), "a match, but the runner-up is close")
        XCTAssertFalse(stands([score("A", 0.33), score("B", 0.10)]), "between the thresholds: uncertain")
        XCTAssertFalse(stands([score("A", 0.27), score("B", 0.10)]), "under new, but by less than the margin")
        XCTAssertTrue(stands([score("A", 0.20), score("B", 0.19)]), "well under new: new, whoever is second")
        XCTAssertTrue(stands([score("A", 0.50)]), "a lone match")
        XCTAssertFalse(stands([]))
        let matchesOnly = { Evaluator.fastAnswerStands($0, policy: policy, match: 0.1, new: nil) }
        XCTAssertFalse(matchesOnly([score("A", 0.20), score("B", 0.19)]), "with no new margin, a new answer never stands")
        XCTAssertTrue(matchesOnly([score("A", 0.60), score("B", 0.40)]))
    }

    /// Two trials of one split with different features (so different thresholds): a query handed
    /// from one to the other is called and ranked as the other calls and ranks it.
    func testAnsweredQueriesAreReadAsTheirOwnTrialReadsThem() throws {
        var rng = SplitMix64(seed: 7)
        func gaussian() -> Float {
            let u1 = (Double(rng.next() >> 11) + 0.5) / Double(1 << 53), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
        var labels: [String] = [], sharp: [[Float]] = [], blurred: [[Float]] = []
        for i in 0..<16 {
            let centre = (0..<24).map { _ in gaussian() }
            for _ in 0..<4 {
                labels.append("W\(i)")
                sharp.append(centre.map { $0 + 0.6 * gaussian() })
                blurred.append(centre.map { $0 + 1.4 * gaussian() })
            }
        }
        let split = try EvaluationSplit(labels: labels, seed: 3, unknownFraction: 0.25, queriesPerIndividual: 1)
        let five = try Trial(recipe: .baseline, features: sharp, local: [], labels: labels, split: split)
        let one = try Trial(recipe: .baseline, features: blurred, local: [], labels: labels, split: split)
        XCTAssertNotEqual(five.policy.newThreshold, one.policy.newThreshold)
        XCTAssertNotEqual(five.metrics(usable: nil).top1, one.metrics(usable: nil).top1)

        let all = Array(five.truths.indices)
        let handedOver = five.answering(all, from: one)
        for (a, b) in zip(handedOver.outcomes(usable: nil), one.outcomes(usable: nil)) {
            XCTAssertEqual(a.candidates.map(\.individual), b.candidates.map(\.individual))
            XCTAssertEqual(a.callsNew(newThreshold: five.policy.newThreshold), b.callsNew(newThreshold: one.policy.newThreshold))
        }
        let (m, o) = (handedOver.metrics(usable: nil), one.metrics(usable: nil))
        XCTAssertEqual(m.top1, o.top1)
        XCTAssertEqual(m.map5, o.map5, accuracy: 1e-12)
        XCTAssertEqual(m.newRecall, o.newRecall)
        XCTAssertEqual(m.newPrecision, o.newPrecision)
        XCTAssertEqual(five.answering([], from: one).metrics(usable: nil).map5, five.metrics(usable: nil).map5)

        // Half handed over: those queries read as `one`, the rest as `five`.
        let half = all.filter { $0 % 2 == 0 }
        let mixed = five.answering(half, from: one).outcomes(usable: nil)
        for q in all {
            let own = (q % 2 == 0 ? one : five)
            XCTAssertEqual(mixed[q].candidates.first?.individual, own.outcomes(usable: nil)[q].candidates.first?.individual)
            XCTAssertEqual(mixed[q].callsNew(newThreshold: five.policy.newThreshold),
                           own.outcomes(usable: nil)[q].callsNew(newThreshold: own.policy.newThreshold))
        }
    }
}
