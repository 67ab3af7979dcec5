@testable import FlukeMatch
import Foundation
import XCTest

/// Checks FlukeMatch against the numpy research implementation on real features.
///
/// Opt-in: the fixture holds features of real photos that must not enter the repository, so it is
/// generated outside it (`tools/research/export_parity.py`, into tools/research/.cache/) and named
/// by `FLUKEMATCH_PARITY_DIR`. Without that variable the test is skipped.
final class ResearchParityTests: XCTestCase {
    struct Expected: Decodable {
        struct Calibrated: Decodable { var t_new: Float; var t_match: Float; var simulated_map5: Double; var known: Int; var new: Int }
        struct MetricValues: Decodable { var map5: Double; var top1: Double; var top5: Double; var new_precision: Double; var new_recall: Double }
        struct ProjectionValues: Decodable { var pca_dim: Int; var alpha: Double; var out_dim: Int?; var eig_power: Double? }
        var seed: UInt64
        var unknown_fraction: Double
        var queries_per: Int
        var dimension: Int
        var rows: Int
        var projection: ProjectionValues
        var catalog_rows: [Int]
        var query_rows: [Int]
        var query_is_new: [Bool]
        var top5_ids: [[String]]
        var top5_scores: [[Float]]
        var calibrated: Calibrated
        var metrics_calibrated: MetricValues
        var t_oracle: Float
        var metrics_oracle: MetricValues
        var pooled_first8: [[Float]]
    }

    func testMatchesTheNumpyResearchImplementation() throws {
        guard let dir = ProcessInfo.processInfo.environment["FLUKEMATCH_PARITY_DIR"] else {
            throw XCTSkip("set FLUKEMATCH_PARITY_DIR to a fixture made by tools/research/export_parity.py")
        }
        let root = URL(fileURLWithPath: dir)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: root.appendingPathComponent("expected.json")))
        let labels = try String(contentsOf: root.appendingPathComponent("labels.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let features = EmbeddingMatrix(dimension: expected.dimension,
                                       values: try Self.floats(root.appendingPathComponent("features.f32")))
        XCTAssertEqual(features.count, expected.rows)
        XCTAssertEqual(labels.count, expected.rows)

        // 1. Grid pooling of raw maps.
        let maps = try Self.floats(root.appendingPathComponent("maps.f32"))
        var poolDiff: Float = 0
        for i in 0..<8 {
            let map = Array(maps[(i * 80 * 196)..<((i + 1) * 80 * 196)])
            let pooled = try GridPooling(grid: 7).pool(map, channels: 80, height: 14, width: 14, layout: .channelsFirst)
            for (a, b) in zip(pooled, expected.pooled_first8[i]) { poolDiff = max(poolDiff, abs(a - b)) }
        }
        print("parity: grid pooling max |Δ| \(poolDiff)")
        XCTAssertLessThan(poolDiff, 1e-5)

        // 2. The split.
        let split = try EvaluationSplit(labels: labels, seed: expected.seed, unknownFraction: expected.unknown_fraction,
                                        queriesPerIndividual: expected.queries_per)
        XCTAssertEqual(split.catalogRows, expected.catalog_rows)
        XCTAssertEqual(split.queryRows, expected.query_rows)
        XCTAssertEqual(split.queryIsNew, expected.query_is_new)

        // 3. Projection fitted on the catalog, gallery, ranking.
        let parameters = Projection.Parameters(pcaDimension: expected.projection.pca_dim, alpha: expected.projection.alpha,
                                               outputDimension: expected.projection.out_dim,
                                               eigenvaluePower: expected.projection.eig_power ?? 0)
        let catalogLabels = split.catalogRows.map { labels[$0] }
        var clock = ContinuousClock.now
        let projection = try Projection.fit(features: features.selecting(rows: split.catalogRows), labels: catalogLabels,
                                            parameters: parameters)
        let fitTime = ContinuousClock.now - clock
        let gallery = try Gallery(embeddings: try projection.apply(features.selecting(rows: split.catalogRows)),
                                  individuals: catalogLabels, photoKeys: split.catalogRows.map { "\($0)" })
        let queries = try projection.apply(features.selecting(rows: split.queryRows))
        clock = ContinuousClock.now
        let ranked = try gallery.rank(queries: queries, topK: 5)
        let rankTime = ContinuousClock.now - clock
        var sameTop1 = 0, sameTop5Set = 0
        var scoreDiff: Float = 0
        for (i, candidates) in ranked.enumerated() {
            if candidates.first?.individual == expected.top5_ids[i][0] { sameTop1 += 1 }
            if Set(candidates.map(\.individual)) == Set(expected.top5_ids[i]) { sameTop5Set += 1 }
            for (c, s) in zip(candidates, expected.top5_scores[i]) { scoreDiff = max(scoreDiff, abs(c.score - s)) }
        }
        let n = Double(ranked.count)
        print("parity: \(ranked.count) queries; same top-1 \(Double(sameTop1) / n), same top-5 set \(Double(sameTop5Set) / n), "
              + "max |Δscore| \(scoreDiff); fit \(fitTime), rank \(rankTime)")
        XCTAssertGreaterThan(Double(sameTop1) / n, 0.98)
        XCTAssertLessThan(scoreDiff, 0.02)

        // 4. Metrics at the research's thresholds.
        let outcomes = zip(ranked, zip(split.queryRows, split.queryIsNew)).map { candidates, q in
            QueryOutcome(truth: q.1 ? .new : .known(labels[q.0]), candidates: candidates)
        }
        let atOracle = Metrics.report(outcomes, newThreshold: expected.t_oracle)
        let (swiftOracle, swiftOracleMAP) = ThresholdSearch.bestNewThreshold(outcomes)
        print("parity: oracle t numpy \(expected.t_oracle) swift \(swiftOracle); MAP@5 numpy \(expected.metrics_oracle.map5) "
              + "swift \(atOracle.map5) (swift-tuned \(swiftOracleMAP)); top-1 numpy \(expected.metrics_oracle.top1) "
              + "swift \(atOracle.top1); top-5 numpy \(expected.metrics_oracle.top5) swift \(atOracle.top5)")
        XCTAssertEqual(atOracle.top1, expected.metrics_oracle.top1, accuracy: 0.01)
        XCTAssertEqual(atOracle.top5, expected.metrics_oracle.top5, accuracy: 0.01)
        XCTAssertEqual(atOracle.map5, expected.metrics_oracle.map5, accuracy: 0.01)

        // 5. Calibration from the catalog alone (5 folds over individuals, seed 0).
        clock = ContinuousClock.now
        let calibration = try ThresholdCalibration.calibrate(
            features: features.selecting(rows: split.catalogRows), labels: catalogLabels, projection: parameters)
        let calTime = ContinuousClock.now - clock
        let atCalibrated = Metrics.report(outcomes, newThreshold: calibration.policy.newThreshold)
        print("parity: calibrated t_new numpy \(expected.calibrated.t_new) swift \(calibration.policy.newThreshold); "
              + "t_match numpy \(expected.calibrated.t_match) swift \(calibration.policy.matchThreshold); "
              + "simulated MAP@5 numpy \(expected.calibrated.simulated_map5) swift \(calibration.simulatedMAP5); "
              + "MAP@5 at calibrated t numpy \(expected.metrics_calibrated.map5) swift \(atCalibrated.map5); "
              + "known/new \(calibration.knownQueries)/\(calibration.newQueries); calibration \(calTime)")
        XCTAssertEqual(calibration.knownQueries, expected.calibrated.known)
        XCTAssertEqual(calibration.newQueries, expected.calibrated.new)
        XCTAssertEqual(calibration.policy.newThreshold, expected.calibrated.t_new, accuracy: 0.02)
        XCTAssertEqual(calibration.simulatedMAP5, expected.calibrated.simulated_map5, accuracy: 0.01)
        XCTAssertEqual(atCalibrated.map5, expected.metrics_calibrated.map5, accuracy: 0.01)
    }

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}
