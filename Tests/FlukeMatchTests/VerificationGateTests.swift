@testable import FlukeMatch
import XCTest

final class VerificationGateTests: XCTestCase {
    func s(_ id: String, _ score: Float) -> IndividualScore { IndividualScore(individual: id, score: score, photoKey: "#\(id)") }

    let policy = try! DecisionPolicy(newThreshold: 0.39, matchThreshold: 0.41)

    func testOnlyAMatchingLeaderFarAheadSkipsVerification() {
        let gate = VerificationGate(margin: 0.3)
        XCTAssertTrue(gate.isBeyondDoubt([s("A", 0.80), s("B", 0.49), s("C", 0.10)], policy: policy))
        XCTAssertFalse(gate.isBeyondDoubt([s("A", 0.80), s("B", 0.50)], policy: policy), "a lead of exactly the margin is in doubt")
        XCTAssertFalse(gate.isBeyondDoubt([s("A", 0.40), s("B", 0.00)], policy: policy), "a leader below the match threshold is in doubt")
        XCTAssertTrue(gate.isBeyondDoubt([s("A", 0.45)], policy: policy), "a matching sole candidate has no rival")
        XCTAssertFalse(gate.isBeyondDoubt([], policy: policy))
        XCTAssertEqual(VerificationGate.exact(for: .standard).margin, 0.3, accuracy: 1e-6)
    }

    /// The exact gate skips only photos whose leader and call no verification could change:
    /// checked against verification with random inlier counts on random rankings.
    func testTheExactGateNeverChangesTheLeaderOrTheCall() throws {
        let parameters = VerificationParameters.standard
        let gate = VerificationGate.exact(for: parameters)
        var rng = SplitMix64(seed: 11)
        var skipped = 0
        for _ in 0..<5_000 {
            let leader = Float(rng.next() % 1000) / 1000
            // The runner-up 0 to 0.6 behind, the rest further back.
            let runnerUp = leader - Float(rng.next() % 600) / 1000
            var ranked = [s("L", leader), s("R", runnerUp)]
            for i in 0..<11 { ranked.append(s("R\(i)", runnerUp - Float(rng.next() % 400) / 1000)) }
            ranked.sort { $0.score > $1.score }
            guard gate.isBeyondDoubt(ranked, policy: policy) else { continue }
            skipped += 1
            let inliers = Dictionary(uniqueKeysWithValues: ranked.map { ($0.individual, Int(rng.next() % 40)) })
            let verified = GeometricReranking.overlay(ranked, with: GeometricReranking.rerank(ranked, parameters: parameters) {
                inliers[$0.individual]!
            })
            XCTAssertEqual(verified.first?.individual, ranked.first?.individual)
            XCTAssertEqual(policy.decide(candidates: verified), policy.decide(candidates: ranked))
        }
        XCTAssertGreaterThan(skipped, 100, "the draw must exercise the gate")
    }
}
