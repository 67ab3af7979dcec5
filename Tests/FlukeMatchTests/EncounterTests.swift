@testable import FlukeMatch
import XCTest

final class EncounterTests: XCTestCase {
    func s(_ id: String, _ score: Float, _ key: String = "") -> IndividualScore {
        IndividualScore(individual: id, score: score, photoKey: key.isEmpty ? "\(id)-photo" : key)
    }

    func testTheIndividualEveryFrameFavoursBeatsALookAlikeOneFrameFavours() {
        // Frame 1 prefers B by a hair (spray over A's marks); frames 2 and 3 clearly prefer A.
        let frames = [[s("B", 0.62), s("A", 0.60), s("C", 0.1)],
                      [s("A", 0.70), s("B", 0.30), s("C", 0.2)],
                      [s("A", 0.66, "A-best"), s("C", 0.35), s("B", 0.25)]]
        XCTAssertEqual(frames[0].first?.individual, "B")
        let ranked = EncounterRanking.combine(frames, topK: 5)
        XCTAssertEqual(ranked.map(\.individual), ["A", "B", "C"])
        XCTAssertEqual(ranked[0].score, (0.60 + 0.70 + 0.66) / 3, accuracy: 1e-6)
        XCTAssertEqual(ranked[0].photoKey, "A-photo")   // the catalog photo of A's best frame (0.70)
    }

    func testAnIndividualMissingFromAFrameCountsWithThatFramesLowestScore() {
        let ranked = EncounterRanking.combine([[s("A", 0.5), s("B", 0.4)], [s("B", 0.9), s("C", 0.1)]], topK: 2)
        // A: (0.5 + 0.1) / 2 = 0.3; B: (0.4 + 0.9) / 2 = 0.65; C: (0.4 + 0.1) / 2 = 0.25.
        XCTAssertEqual(ranked.map(\.individual), ["B", "A"])
        XCTAssertEqual(ranked[1].score, 0.3, accuracy: 1e-6)
    }

    func testOneFrameIsItsOwnRankingAndTiesGoByIdentifier() {
        XCTAssertEqual(EncounterRanking.combine([[s("Z", 0.5), s("Y", 0.5)]], topK: 5).map(\.individual), ["Y", "Z"])
        XCTAssertEqual(EncounterRanking.combine([], topK: 5), [])
        XCTAssertEqual(EncounterRanking.combine([[], [s("A", 0.2)]], topK: 5).map(\.individual), ["A"])
    }

    func testSplitEncountersGroupAKnownWhalesQueriesAndChunkAnUnknownWhalesPhotos() throws {
        // Individuals with 5 photos each: with F = 0.5 some are unknown (all 5 photos are queries).
        var labels: [String] = []
        for id in ["a", "b", "c", "d"] { labels += Array(repeating: id, count: 5) }
        let split = try EvaluationSplit(labels: labels, seed: 3, unknownFraction: 0.5, queriesPerIndividual: 2)
        let encounters = split.encounters(labels: labels, size: 2)
        XCTAssertEqual(encounters.flatMap { $0 }.sorted(), Array(split.queryRows.indices))
        for members in encounters {
            let individuals = Set(members.map { labels[split.queryRows[$0]] })
            XCTAssertEqual(individuals.count, 1, "an encounter is one animal")
            XCTAssertLessThanOrEqual(members.count, 2)
        }
        // Two unknown whales × 5 photos → 3 encounters each (2 + 2 + 1); two known whales → 1 each.
        XCTAssertEqual(split.unknownIndividuals.count, 2)
        XCTAssertEqual(encounters.count, 2 * 3 + 2)
    }

    func testAPhotoThatMayNotBeCalledNewIsNeverCountedAsPredictedNew() {
        let low = [s("A", 0.1), s("B", 0.05)]
        let free = Metrics.report([QueryOutcome(truth: .new, candidates: low)], newThreshold: 0.3)
        XCTAssertEqual(free.predictedNew, 1)
        XCTAssertEqual(free.map5, 1)
        let gated = Metrics.report([QueryOutcome(truth: .new, candidates: low, mayBeNew: false)], newThreshold: 0.3)
        XCTAssertEqual(gated.predictedNew, 0)
        XCTAssertEqual(gated.newRecall, 0)
        XCTAssertEqual(gated.map5, 1.0 / 3, accuracy: 1e-9)   // new_whale listed after the two candidates
    }

    func testPhotosThatDisagreeLeaveTheEncounterToAPerson() throws {
        let policy = try DecisionPolicy(newThreshold: 0.4, matchThreshold: 0.7)
        let a = [s("A", 0.9), s("B", 0.1)], b = [s("B", 0.85), s("A", 0.0)], weakA = [s("A", 0.5), s("B", 0.2)]
        // Two confident matches to different whales: their mean (0.45 / 0.475) says 'uncertain'
        // anyway here, but the rule does not depend on that.
        XCTAssertEqual(EncounterRanking.decide([a, b], combined: EncounterRanking.combine([a, b], topK: 5), policy: policy), .uncertain)
        // A confident match and a frame that dilutes it below the new threshold: not 'new'.
        let blur = [s("B", 0.05), s("A", -0.3)]
        let diluted = EncounterRanking.combine([a, blur], topK: 5)
        XCTAssertEqual(policy.decide(candidates: diluted), .new)
        XCTAssertEqual(EncounterRanking.decide([a, blur], combined: diluted, policy: policy), .uncertain)
        // Agreeing frames: the combined call stands.
        let agree = EncounterRanking.combine([a, weakA], topK: 5)
        XCTAssertEqual(EncounterRanking.decide([a, weakA], combined: agree, policy: policy), .match)
        let strangers = [[s("A", 0.1)], [s("B", 0.2)]]
        XCTAssertEqual(EncounterRanking.decide(strangers, combined: EncounterRanking.combine(strangers, topK: 5), policy: policy), .new)
    }
}

