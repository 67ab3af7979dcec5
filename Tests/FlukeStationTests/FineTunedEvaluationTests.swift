@testable import FlukeStation
import FlukeTestSupport
import Foundation
import XCTest

/// `flukewatch evaluate --fine-tuned DIR …`: fine-tuned packages are measured on the station's
/// split, each query by a package that never trained on its whale, and a package is never
/// measured on whales it trained on.
final class FineTunedEvaluationTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models").standardizedFileURL.path

    /// A copy of the shipped package (its weights linked, not copied) that claims to have trained on `individuals`.
    func package(_ name: String, in station: TempStation, trainedOn individuals: [String]) throws -> String {
        let dir = station.root.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["efficientnet-lite0-int8.json", "efficientnet-lite0-int8.bin"] {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(file)", withDestinationPath: "\(Self.models)/\(file)")
        }
        let list = "# trained on\n\n" + individuals.map { "  \($0)\n" }.joined()
        try list.write(toFile: "\(dir)/\(TrainedIndividuals.fileName)", atomically: true, encoding: .utf8)
        return dir
    }

    func json(_ r: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(r.lines.last).utf8)) as? [String: Any])
    }

    /// Two "fine-tuned" packages that are the shipped network itself, each claiming half the whales:
    /// pooled, each query read at its own package's thresholds, they must give exactly the
    /// station's own figures, and each must have scored only the other half's queries.
    func testComplementaryPackagesScoreEveryQueryOnceAndAgreeWithTheSameNetwork() throws {
        let station = try TempStation("eval-fine-tuned")
        let labels = try EvaluationReportTests.writeLabelledSet(in: station)
        let a = try package("a", in: station, trainedOn: ["W-1", "W-2", "W-3"])
        let b = try package("b", in: station, trainedOn: ["W-4", "W-5", "W-6"])
        let r = try runFlukeWatch(["evaluate", labels, "--json", "--ablation", "--unknown-fraction", "0.34", "--queries-per", "2",
                                   "--fine-tuned", a, "--fine-tuned", b])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try json(r)
        let fineTuned = try XCTUnwrap(out["fine_tuned"] as? [String: Any])
        let packages = try XCTUnwrap(fineTuned["packages"] as? [[String: Any]])
        XCTAssertEqual(packages.map { $0["directory"] as? String }, [a, b])
        XCTAssertEqual(packages.map { $0["trained_individuals"] as? Int }, [3, 3])

        let station1 = try XCTUnwrap(out["metrics"] as? [String: Any]), pooled = try XCTUnwrap(fineTuned["metrics"] as? [String: Any])
        let scored = packages.compactMap { $0["queries"] as? Int }
        XCTAssertEqual(scored.reduce(0, +), station1["queries"] as? Int, "every query scored exactly once")
        XCTAssertTrue(scored.allSatisfy { $0 > 0 }, "\(scored): both halves have queries")
        for key in ["map5", "top1", "top5", "newPrecision", "newRecall"] {
            XCTAssertEqual(try XCTUnwrap(pooled[key] as? Double), try XCTUnwrap(station1[key] as? Double), accuracy: 1e-12, key)
        }
        for key in ["queries", "knownQueries", "predictedNew"] {
            XCTAssertEqual(pooled[key] as? Int, station1[key] as? Int, key)
        }
        let encounters = try XCTUnwrap(out["encounter_metrics"] as? [String: Any])
        let pooledEncounters = try XCTUnwrap(fineTuned["encounter_metrics"] as? [String: Any])
        let encounterMAP = try XCTUnwrap(encounters["map5"] as? Double)
        XCTAssertEqual(try XCTUnwrap(pooledEncounters["map5"] as? Double), encounterMAP, accuracy: 1e-12)
        let encounterCounts = packages.compactMap { $0["encounters"] as? Int }
        XCTAssertEqual(encounterCounts.reduce(0, +), out["encounters"] as? Int)
        let thresholdNew = try XCTUnwrap(out["threshold_new"] as? Double)
        for p in packages {
            XCTAssertEqual(try XCTUnwrap(p["threshold_new"] as? Double), thresholdNew, accuracy: 1e-6)
        }

        // The ablation ends with the fine-tuned trunk, after the whole station.
        let rows = try XCTUnwrap(out["ablation"] as? [[String: Any]])
        XCTAssertTrue((rows.last?["step"] as? String ?? "").contains("fine-tuned"), "\(rows.last ?? [:])")
        XCTAssertTrue((rows[rows.count - 2]["step"] as? String ?? "").contains("unusable photos"))
        XCTAssertEqual((rows.last?["metrics"] as? [String: Any])?["top1"] as? Double, pooled["top1"] as? Double)

        // The text output gives the pooled line and one line per package with its share.
        let text = try runFlukeWatch(["evaluate", labels, "--unknown-fraction", "0.34", "--queries-per", "2",
                                      "--fine-tuned", a, "--fine-tuned", b])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("fine-tuned trunk (each query scored by a package that never trained on its whale)"), text.stdout)
        for (p, n) in zip(packages, scored) {
            let version = try XCTUnwrap(p["model_version"] as? String)
            XCTAssertTrue(text.stdout.contains("\(version) (trained on 3 whales): \(n) queries"), text.stdout)
        }
    }

    /// Several seeds in one run (each network run once) give, seed by seed, the report a run with
    /// that seed alone gives: the same split, fits, thresholds and metrics, fine-tuned packages too.
    func testSeveralSeedsInOneRunEqualOneRunPerSeed() throws {
        let station = try TempStation("eval-seeds")
        let labels = try EvaluationReportTests.writeLabelledSet(in: station)
        let a = try package("a", in: station, trainedOn: ["W-1", "W-2", "W-3"])
        let b = try package("b", in: station, trainedOn: ["W-4", "W-5", "W-6"])
        let common = ["evaluate", labels, "--json", "--unknown-fraction", "0.34", "--queries-per", "2", "--fine-tuned", a, "--fine-tuned", b]
        /// A report without its timings, which are wall-clock medians and differ from run to run.
        func reports(_ r: CommandResult) throws -> [NSDictionary] {
            XCTAssertEqual(r.status, 0, r.stderr)
            return try r.lines.filter { $0.hasPrefix("{") }.map { line in
                var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                object["timings"] = nil
                return object as NSDictionary
            }
        }
        let together = try reports(try runFlukeWatch(common + ["--seed", "2", "--seed", "1"]))
        let alone = try [2, 1].map { try XCTUnwrap(try reports(try runFlukeWatch(common + ["--seed", "\($0)"])).first) }
        XCTAssertEqual(together.map { $0["seed"] as? Int }, [2, 1], "one report per seed, in the order given")
        XCTAssertEqual(together, alone)
        // The two splits differ, so equal reports mean each seed was applied, not the first one twice.
        let splits = alone.map { ($0["metrics"] as? NSDictionary, $0["threshold_new"] as? Double, $0["fine_tuned"] as? NSDictionary) }
        XCTAssertTrue(splits[0].0 != splits[1].0 || splits[0].1 != splits[1].1 || splits[0].2 != splits[1].2,
                      "seeds 1 and 2 gave the same figures on the fixture set: the test cannot tell them apart")

        let refused = try runFlukeWatch(["evaluate", labels, "--seed", "1", "--seed", "2", "--report", station.root.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("give one --seed with it"), refused.stderr)
    }

    func testAPackageIsNeverMeasuredOnWhalesItTrainedOn() throws {
        let station = try TempStation("eval-trained-on")
        let labels = try EvaluationReportTests.writeLabelledSet(in: station)
        let a = try package("a", in: station, trainedOn: ["W-2", "W-5", "W-9"])

        let own = try runFlukeWatch(["evaluate", labels, "--json"], environment: ["FLUKEWATCH_MODEL_DIR": a])
        XCTAssertNotEqual(own.status, 0)
        XCTAssertTrue(own.stderr.contains("was trained on 2 of the individuals"), own.stderr)
        XCTAssertTrue(own.stderr.contains("W-2"), own.stderr)

        let twice = try runFlukeWatch(["evaluate", labels, "--json", "--fine-tuned", a, "--fine-tuned", a])
        XCTAssertNotEqual(twice.status, 0)
        XCTAssertTrue(twice.stderr.contains("every --fine-tuned package trained on 2 of the set's individuals (e.g. W-2)"), twice.stderr)
    }

    func testThePlanGivesEachWhaleTheFirstPackageThatNeverSawIt() throws {
        let plan = try Evaluator.plan(individuals: ["a", "b", "c"], trained: [TrainedIndividuals(["a"]), TrainedIndividuals(["b", "c"])])
        XCTAssertEqual(plan.scorer, ["a": 1, "b": 0, "c": 0])
        XCTAssertThrowsError(try Evaluator.plan(individuals: ["a", "b"], trained: [TrainedIndividuals(["a"]), TrainedIndividuals(["a"])]))
        XCTAssertEqual(TrainedIndividuals.parse("# comment\n\n whale_1 \nwhale_2\r\n#x\n"), ["whale_1", "whale_2"])
    }
}
