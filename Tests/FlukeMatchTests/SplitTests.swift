@testable import FlukeMatch
import XCTest

final class SplitTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(rng.next(), 0x06C4_5D18_8009_454F)
    }

    func testSplitMatchesThePythonResearchImplementation() throws {
        // Computed with tools/research/fluke_research.split(labels, 7, 0.25, 2).
        let labels = ["b", "a", "a", "c", "c", "c", "d", "e", "e", "e", "e", "f", "f", "g", "h", "h", "h"]
        let split = try EvaluationSplit(labels: labels, seed: 7, unknownFraction: 0.25, queriesPerIndividual: 2)
        XCTAssertEqual(split.catalogRows, [1, 5, 6, 12, 13, 15])
        XCTAssertEqual(split.queryRows, [0, 2, 3, 4, 7, 8, 9, 10, 11, 14, 16])
        XCTAssertEqual(split.queryIsNew, [true, false, false, false, true, true, true, true, false, false, false])
        XCTAssertEqual(split.unknownIndividuals, ["b", "e"])
    }

    func testSplitIsIdenticalAcrossRunsAndFollowsTheRules() throws {
        var labels: [String] = []
        for i in 0..<60 { labels += Array(repeating: "id\(i)", count: 1 + i % 7) }
        let a = try EvaluationSplit(labels: labels, seed: 1, unknownFraction: 0.2, queriesPerIndividual: 2)
        let b = try EvaluationSplit(labels: labels, seed: 1, unknownFraction: 0.2, queriesPerIndividual: 2)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try EvaluationSplit(labels: labels, seed: 2, unknownFraction: 0.2, queriesPerIndividual: 2))

        XCTAssertEqual(a.unknownIndividuals.count, 12)  // ⌊0.2·60 + 0.5⌋
        XCTAssertEqual(Set(a.catalogRows).intersection(a.queryRows), [])
        XCTAssertEqual(a.catalogRows.count + a.queryRows.count, labels.count)
        let unknown = Set(a.unknownIndividuals)
        let catalogIDs = Set(a.catalogRows.map { labels[$0] })
        XCTAssertTrue(catalogIDs.isDisjoint(with: unknown), "an unknown individual leaked into the catalog")
        for (row, isNew) in zip(a.queryRows, a.queryIsNew) {
            XCTAssertEqual(isNew, unknown.contains(labels[row]))
        }
        var queriesOf: [String: Int] = [:]
        for (row, isNew) in zip(a.queryRows, a.queryIsNew) where !isNew { queriesOf[labels[row], default: 0] += 1 }
        for i in 0..<60 where !unknown.contains("id\(i)") {
            let n = 1 + i % 7
            XCTAssertEqual(queriesOf["id\(i)", default: 0], min(2, n - 1), "id\(i) with \(n) photos")
            XCTAssertTrue(catalogIDs.contains("id\(i)"), "every known individual keeps a catalog photo")
        }
    }

    func testSplitRejectsBadArguments() {
        XCTAssertThrowsError(try EvaluationSplit(labels: [], seed: 1, unknownFraction: 0.2, queriesPerIndividual: 2)) {
            XCTAssertEqual($0 as? EvaluationSplitError, .noPhotos)
        }
        XCTAssertThrowsError(try EvaluationSplit(labels: ["a"], seed: 1, unknownFraction: 1.5, queriesPerIndividual: 2))
        XCTAssertThrowsError(try EvaluationSplit(labels: ["a"], seed: 1, unknownFraction: 0.2, queriesPerIndividual: 0))
    }
}
