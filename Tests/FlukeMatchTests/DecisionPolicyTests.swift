import FlukeCore
@testable import FlukeMatch
import Foundation
import XCTest

final class DecisionPolicyTests: XCTestCase {
    func testScoresMapToTheThreeDecisions() throws {
        let policy = try DecisionPolicy(newThreshold: 0.3, matchThreshold: 0.6)
        XCTAssertEqual(policy.decide(bestScore: 0.61), .match)
        XCTAssertEqual(policy.decide(bestScore: 0.6), .match)
        XCTAssertEqual(policy.decide(bestScore: 0.45), .uncertain)
        XCTAssertEqual(policy.decide(bestScore: 0.3), .uncertain)
        XCTAssertEqual(policy.decide(bestScore: 0.29), .new)
        XCTAssertEqual(policy.decide(bestScore: nil), .new, "an empty catalog can only propose a new individual")
        XCTAssertEqual(policy.decide(bestScore: .nan), .new)
        XCTAssertEqual(policy.decide(candidates: []), .new)
    }

    func testInconsistentThresholdsAreRefused() {
        XCTAssertThrowsError(try DecisionPolicy(newThreshold: 0.6, matchThreshold: 0.3)) {
            XCTAssertEqual($0 as? DecisionPolicyError, .matchBelowNew(newThreshold: 0.6, matchThreshold: 0.3))
        }
        XCTAssertThrowsError(try DecisionPolicy(newThreshold: .nan, matchThreshold: 0.3))
    }

    func testPolicyRoundTripsThroughJSON() throws {
        let policy = try DecisionPolicy(newThreshold: 0.25, matchThreshold: 0.5)
        let data = try JSONEncoder().encode(policy)
        XCTAssertEqual(try JSONDecoder().decode(DecisionPolicy.self, from: data), policy)
        let bad = Data(#"{"newThreshold": 0.7, "matchThreshold": 0.2}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(DecisionPolicy.self, from: bad))
    }
}
