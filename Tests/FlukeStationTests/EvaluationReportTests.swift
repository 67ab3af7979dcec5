import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeTestSupport
import Foundation
import XCTest

/// `flukewatch evaluate --report DIR` on a small labelled set of fixture photos, with the real
/// model: the HTML must hold the three plots, with data that agrees with the printed metrics.
final class EvaluationReportTests: XCTestCase {
    func attribute(_ name: String, in html: String) throws -> String {
        let range = try XCTUnwrap(html.range(of: "\(name)=\"[^\"]*\"", options: .regularExpression), "no \(name) in the report")
        return String(html[range].dropFirst(name.count + 2).dropLast())
    }

    func count(_ needle: String, in html: String) -> Int { html.components(separatedBy: needle).count - 1 }

    /// `evaluate --json`'s one object: the command's last line.
    func lastJSONObject(_ r: CommandResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(r.lines.last).utf8)) as? [String: Any], r.stdout)
    }

    /// Six fixture whales, four photos each; each whale's fourth photo carries the next whale's label.
    static func writeLabelledSet(in station: TempStation) throws -> String {
        var csv = "file,individual\n"
        for individual in 1...6 {
            for shot in 1...4 {
                let name = "photos/W\(individual)_\(shot).jpg"
                try DropFolderWriter.write(try FixturePhoto(width: 480, height: 360, individualSeed: UInt64(individual * 3),
                                                            sceneSeed: UInt64(individual * 50 + shot), noise: 2).jpegBytes(),
                                           to: station.root.appendingPathComponent(name).path, style: .direct)
                // Each whale's fourth photo is labelled as the next whale: the label errors a real
                // catalog has, and what the failure pairs are there to show.
                csv += "\(name),W-\(shot == 4 ? individual % 6 + 1 : individual)\n"
            }
        }
        let labels = station.root.appendingPathComponent("labels.csv").path
        try csv.write(toFile: labels, atomically: true, encoding: .utf8)
        return labels
    }

    func testTheReportHasTheCMCCurveTheScoreDistributionsAndTheWorstFailures() throws {
        let station = try TempStation("eval-report")
        let labels = try Self.writeLabelledSet(in: station)
        let dir = station.root.appendingPathComponent("report").path
        let r = try runFlukeWatch(["evaluate", labels, "--report", dir, "--json", "--unknown-fraction", "0.34", "--queries-per", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("report: \(dir)/index.html"), r.stderr)
        let json = try lastJSONObject(r)
        XCTAssertNil(json["queries"], "per-query details stay out of the JSON contract")
        let metrics = try XCTUnwrap(json["metrics"] as? [String: Any])
        let known = try XCTUnwrap(metrics["knownQueries"] as? Int), new = try XCTUnwrap(metrics["newQueries"] as? Int)
        let individuals = try XCTUnwrap(json["catalog_individuals"] as? Int)
        XCTAssertGreaterThan(known, 0)
        XCTAssertGreaterThan(new, 0)

        let html = try String(contentsOfFile: "\(dir)/index.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<script"), "no JavaScript")
        XCTAssertEqual(count("<svg", in: html), 2, "the CMC curve and the score distributions")

        // CMC: top-1 … top-5, rising, and its ends are the printed top-1 and top-5.
        let cmc = try attribute("data-values", in: html).split(separator: " ").map { Double($0)! }
        XCTAssertEqual(cmc.count, 5)
        XCTAssertEqual(cmc, cmc.sorted())
        XCTAssertTrue(cmc.allSatisfy { (0...1).contains($0) })
        XCTAssertEqual(cmc[0], try XCTUnwrap(metrics["top1"] as? Double), accuracy: 1e-4)
        XCTAssertEqual(cmc[4], try XCTUnwrap(metrics["top5"] as? Double), accuracy: 1e-4)
        XCTAssertEqual(count("<circle", in: html), 5)

        // Scores: one same pair per known query, every other individual a different pair; thresholds marked.
        XCTAssertEqual(Int(try attribute("data-same-pairs", in: html)), known)
        XCTAssertEqual(Int(try attribute("data-different-pairs", in: html)), known * (individuals - 1) + new * individuals)
        XCTAssertEqual(Double(try attribute("data-threshold-new", in: html))!, try XCTUnwrap(json["threshold_new"] as? Double), accuracy: 1e-4)
        XCTAssertEqual(Double(try attribute("data-threshold-match", in: html))!, try XCTUnwrap(json["threshold_match"] as? Double), accuracy: 1e-4)
        XCTAssertGreaterThan(count("class=\"same\"", in: html), 0)
        XCTAssertGreaterThan(count("class=\"different\"", in: html), 0)
        XCTAssertEqual(count("class=\"threshold-new\"", in: html), 1)
        XCTAssertEqual(count("class=\"threshold-match\"", in: html), 1)

        // Failures: exactly the queries the metrics count as wrong (up to 12), each a pair of embedded photos.
        let wrongRank = Int((Double(known) * (1 - cmc[0])).rounded())
        let calledKnown = Int((Double(new) * (1 - (try XCTUnwrap(metrics["newRecall"] as? Double)))).rounded())
        let pairs = count("<figure class=\"pair\"", in: html)
        XCTAssertEqual(pairs, min(12, wrongRank + calledKnown), html)
        XCTAssertEqual(count("src=\"data:image/jpeg;base64,", in: html), 2 * pairs)
        XCTAssertGreaterThan(pairs, 0, "this set is hard enough to fail somewhere; the pairs must show")
        print("evaluation report: \(dir)/index.html (\(pairs) failure pairs, CMC \(cmc))")
    }

    /// `--ablation`: one row per step, in the order the station adds them, and the last row (the
    /// whole station, gate on) is exactly what the same run reports as its metrics.
    func testTheAblationAddsTheStationsStepsInOrderAndEndsAtTheReportedMetrics() throws {
        let station = try TempStation("eval-ablation")
        let labels = try Self.writeLabelledSet(in: station)
        let r = try runFlukeWatch(["evaluate", labels, "--ablation", "--json", "--unknown-fraction", "0.34", "--queries-per", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try lastJSONObject(r)
        let rows = try XCTUnwrap(json["ablation"] as? [[String: Any]])
        let steps = rows.compactMap { $0["step"] as? String }
        XCTAssertEqual(steps.count, 8, "\(steps)")
        XCTAssertTrue(steps[0].hasPrefix("frozen ImageNet net"), "\(steps)")
        XCTAssertTrue(steps[1].contains("grid features"), "\(steps)")
        XCTAssertTrue(steps[2].contains("views averaged"), "\(steps)")
        XCTAssertTrue(steps[3].contains("pooled \(MatchingRecipe.stationGrid)×\(MatchingRecipe.stationGrid) instead of 7×7"), "\(steps)")
        XCTAssertTrue(steps[4].contains("map also magnified ×1.18, ×1.35"), "\(steps)")
        XCTAssertTrue(steps[5].contains("geometric verification"), "\(steps)")
        XCTAssertTrue(steps[6].contains("only while in doubt"), "\(steps)")
        XCTAssertTrue(steps[7].contains("unusable photos"), "\(steps)")
        let reported = try XCTUnwrap(json["metrics"] as? [String: Any])
        let last = try XCTUnwrap(rows.last?["metrics"] as? [String: Any])
        for key in ["map5", "top1", "top5", "newPrecision", "newRecall"] {
            XCTAssertEqual(try XCTUnwrap(last[key] as? Double), try XCTUnwrap(reported[key] as? Double), accuracy: 1e-9, key)
        }
        XCTAssertEqual(try XCTUnwrap(rows.last?["threshold_new"] as? Double), try XCTUnwrap(json["threshold_new"] as? Double),
                       accuracy: 1e-6)

        // The verification gate's sweep: every query verified first, then ever smaller margins
        // verifying ever fewer; at the exact margin no leader and no call changes.
        let gate = try XCTUnwrap(json["verification_gate"] as? [[String: Any]])
        XCTAssertTrue(gate[0]["margin"] == nil || gate[0]["margin"] is NSNull, "\(gate[0])")
        let queries = try XCTUnwrap(gate[0]["queries"] as? Int)
        XCTAssertEqual(gate[0]["verified_queries"] as? Int, queries)
        let margins = gate.dropFirst().compactMap { $0["margin"] as? Double }
        XCTAssertEqual(margins.count, gate.count - 1)
        XCTAssertEqual(margins, margins.sorted(by: >))
        let verified = gate.compactMap { $0["verified_queries"] as? Int }
        XCTAssertEqual(verified, verified.sorted(by: >=), "a smaller margin never verifies more")
        XCTAssertEqual(margins.first ?? 0, 0.3, accuracy: 1e-6)
        let all = try XCTUnwrap(gate[0]["metrics"] as? [String: Any]), exact = try XCTUnwrap(gate[1]["metrics"] as? [String: Any])
        for key in ["top1", "newPrecision", "newRecall"] {
            XCTAssertEqual(try XCTUnwrap(exact[key] as? Double), try XCTUnwrap(all[key] as? Double), accuracy: 1e-12, key)
        }
        // The headline is read under the station's own gate, one of the sweep's rows.
        let stationMargin = Double(VerificationGate.station.margin)
        XCTAssertEqual(json["verification_gate_margin"] as? Double ?? -1, stationMargin, accuracy: 1e-6)
        let stationRow = try XCTUnwrap(gate.first { abs(($0["margin"] as? Double ?? -1) - stationMargin) < 1e-6 })
        XCTAssertEqual(json["verified_queries"] as? Int, stationRow["verified_queries"] as? Int)
        XCTAssertEqual(reported["top1"] as? Double, (stationRow["metrics"] as? [String: Any])?["top1"] as? Double)
    }

    /// `--fast-first`: wider margins hand fewer queries to the one-run answer; the runs a photo
    /// costs follow from how many; with none handed over the station's own figures come back.
    func testFastFirstHandsFewerPhotosToOneRunAsItsMarginsWiden() throws {
        let station = try TempStation("eval-fast-first")
        let labels = try Self.writeLabelledSet(in: station)
        let r = try runFlukeWatch(["evaluate", labels, "--fast-first", "--views-at", "image", "--json", "--unknown-fraction", "0.34", "--queries-per", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try lastJSONObject(r)
        let rows = try XCTUnwrap(json["fast_first"] as? [[String: Any]])
        XCTAssertEqual(rows.count, Evaluator.fastFirstMargins.count)
        let reported = try XCTUnwrap(json["metrics"] as? [String: Any])
        let queries = try XCTUnwrap(reported["queries"] as? Int)
        let taken = try rows.map { try XCTUnwrap($0["one_run_queries"] as? Int) }
        let matchOnly = rows.indices.filter { rows[$0]["new_margin"] is NSNull }
        let bothKinds = rows.indices.filter { rows[$0]["new_margin"] is Double }
        XCTAssertEqual(matchOnly.count + bothKinds.count, rows.count, "new_margin is a number or null, never left out")
        XCTAssertFalse(matchOnly.isEmpty)
        for family in [matchOnly, bothKinds] {
            let counts = family.map { taken[$0] }
            XCTAssertEqual(counts, counts.sorted(by: >=), "a wider margin never hands more photos to one run")
        }
        for m in matchOnly {
            // Trusting only matches hands over a subset of what also trusting "new" hands over.
            for b in bothKinds where rows[b]["match_margin"] as? Double == rows[m]["match_margin"] as? Double {
                XCTAssertLessThanOrEqual(taken[m], taken[b])
            }
        }
        for (row, n) in zip(rows, taken) {
            XCTAssertEqual(row["queries"] as? Int, queries)
            XCTAssertLessThanOrEqual(n, queries)
            let known = try XCTUnwrap(row["known_queries"] as? Int)
            XCTAssertLessThanOrEqual(try XCTUnwrap(row["one_run_known_queries"] as? Int), min(n, known))
            XCTAssertEqual(known, try XCTUnwrap(reported["knownQueries"] as? Int))
            let runs = try XCTUnwrap(row["mean_runs"] as? Double)
            XCTAssertEqual(runs, 1 + 4 * Double(queries - n) / Double(queries), accuracy: 1e-9)
            if n == 0 {
                let m = try XCTUnwrap(row["metrics"] as? [String: Any])
                XCTAssertEqual(m["top1"] as? Double, reported["top1"] as? Double)
                XCTAssertEqual(m["map5"] as? Double, reported["map5"] as? Double)
            }
        }
        XCTAssertGreaterThan(taken[0], 0, "the narrowest margins let some fixture photo stand on one run")
        let plain = try runFlukeWatch(["evaluate", labels, "--json", "--unknown-fraction", "0.34", "--queries-per", "2"])
        let without = try lastJSONObject(plain)
        XCTAssertEqual((without["fast_first"] as? [Any])?.count, 0, "absent unless asked for")
    }

    /// `--views-at`: the views are made at the inner map named, the run says so in its recipe and
    /// its ablation, and a place the station does not offer is refused with the choices.
    func testViewsAtPlacesTheViewsAndRefusesAnUnknownPlace() throws {
        let station = try TempStation("eval-views-at")
        let labels = try Self.writeLabelledSet(in: station)
        let r = try runFlukeWatch(["evaluate", labels, "--views-at", "s8_c40", "--ablation", "--json", "--unknown-fraction", "0.34", "--queries-per", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try lastJSONObject(r)
        let steps = try XCTUnwrap(json["ablation"] as? [[String: Any]]).compactMap { $0["step"] as? String }
        XCTAssertTrue(steps.contains { $0.contains("views averaged (made at the s8_c40 map)") }, "\(steps)")
        XCTAssertTrue(try XCTUnwrap(json["recipe"] as? String).contains("\"viewsAt\":\"s8_c40\""), "\(json["recipe"] ?? "")")
        XCTAssertGreaterThan(try XCTUnwrap((json["metrics"] as? [String: Any])?["knownQueries"] as? Int), 0)
        let bad = try runFlukeWatch(["evaluate", labels, "--views-at", "b9_out"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--views-at b9_out: expected one of image, b2_out, s8_c40"), bad.stderr)
        let cascade = try runFlukeWatch(["evaluate", labels, "--views-at", "b2_out", "--fast-first"])
        XCTAssertNotEqual(cascade.status, 0)
        XCTAssertTrue(cascade.stderr.contains("--fast-first counts each view as a whole network run"), cascade.stderr)
        let byDefault = try runFlukeWatch(["evaluate", labels, "--fast-first"])
        XCTAssertNotEqual(byDefault.status, 0, "the station's views are made at s8_c40 unless --views-at image says otherwise")
        XCTAssertTrue(byDefault.stderr.contains("(--views-at image)"), byDefault.stderr)
    }

    /// `--catalog-views-at`: the catalog part embedded with its views made elsewhere than the
    /// queries'. The thresholds are fitted on the catalog alone, so they are exactly those of a run
    /// whose every photo has the catalog's recipe, while the queries keep their own.
    func testTheCatalogCanBeEmbeddedWithItsViewsMadeElsewhere() throws {
        let station = try TempStation("eval-catalog-views")
        let labels = try Self.writeLabelledSet(in: station)
        let common = ["evaluate", labels, "--json", "--unknown-fraction", "0.34", "--queries-per", "2"]
        func json(_ extra: [String]) throws -> [String: Any] {
            let r = try runFlukeWatch(common + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try lastJSONObject(r)
        }
        let mixed = try json(["--views-at", "s8_c40", "--catalog-views-at", "image"])
        let image = try json(["--views-at", "image"])
        XCTAssertTrue(try XCTUnwrap(mixed["recipe"] as? String).contains("\"viewsAt\":\"s8_c40\""))
        let catalogRecipe = try XCTUnwrap(mixed["catalog_recipe"] as? String)
        XCTAssertFalse(catalogRecipe.contains("viewsAt"), catalogRecipe)
        XCTAssertEqual(catalogRecipe, image["recipe"] as? String, "the catalog's recipe is the image views' station recipe")
        for key in ["threshold_new", "threshold_match"] {
            XCTAssertEqual(mixed[key] as? Double, image[key] as? Double, "\(key) is fitted on the catalog's vectors alone")
        }
        XCTAssertNil(image["catalog_recipe"], "one recipe for both: no catalog_recipe")

        let ablation = try runFlukeWatch(common + ["--views-at", "s8_c40", "--catalog-views-at", "image", "--ablation"])
        XCTAssertNotEqual(ablation.status, 0)
        XCTAssertTrue(ablation.stderr.contains("--catalog-views-at is measured on its own"), ablation.stderr)
        let bad = try runFlukeWatch(common + ["--catalog-views-at", "b9_out"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--catalog-views-at b9_out: expected one of image, b2_out, s8_c40"), bad.stderr)
    }

    /// `--inlier-weight`: what each consistent match adds to a verified leader, for measuring the
    /// station's 0.01 against others; the recipe in the JSON says which weight was used.
    func testTheInlierWeightCanBeMeasuredAndIsChecked() throws {
        let station = try TempStation("eval-inlier-weight")
        let labels = try Self.writeLabelledSet(in: station)
        let r = try runFlukeWatch(["evaluate", labels, "--json", "--inlier-weight", "0.02", "--unknown-fraction", "0.34", "--queries-per", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let recipe = try XCTUnwrap(try lastJSONObject(r)["recipe"] as? String)
        XCTAssertTrue(recipe.contains("\"weightPerInlier\":0.02"), recipe)
        for (args, message) in [(["--inlier-weight", "0"], "--inlier-weight 0.0: expected a weight above 0 and at most 0.05"),
                                (["--inlier-weight", "0.01", "--no-verify"], "--no-verify and --baseline verify nothing")] {
            let bad = try runFlukeWatch(["evaluate", labels] + args)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(message), bad.stderr)
        }
    }

    func testTheProjectionsShapeCanBeMeasuredAndIsChecked() throws {
        let station = try TempStation("eval-lda")
        let labels = try Self.writeLabelledSet(in: station)
        let common = ["--json", "--unknown-fraction", "0.34", "--queries-per", "2"]
        let narrow = try runFlukeWatch(["evaluate", labels, "--lda-dimensions", "8", "--lda-alpha", "0.5"] + common)
        XCTAssertEqual(narrow.status, 0, narrow.stderr)
        let recipe = try XCTUnwrap(try lastJSONObject(narrow)["recipe"] as? String)
        XCTAssertTrue(recipe.contains("\"outputDimension\":8"), recipe)
        XCTAssertTrue(recipe.contains("\"alpha\":0.5"), recipe)
        let whole = try runFlukeWatch(["evaluate", labels, "--lda-dimensions", "all"] + common)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let wholeRecipe = try XCTUnwrap(try lastJSONObject(whole)["recipe"] as? String)
        XCTAssertFalse(wholeRecipe.contains("outputDimension"), "'all' keeps every direction: \(wholeRecipe)")
        XCTAssertTrue(wholeRecipe.contains("\"alpha\":0.2"), wholeRecipe)
        for (args, message) in [(["--lda-dimensions", "0"], "expected a number of directions (the station keeps 384) or 'all'"),
                                (["--lda-alpha", "1.5"], "--lda-alpha 1.5: expected a shrinkage above 0 and at most 1"),
                                (["--lda-alpha", "0.3", "--baseline"], "--baseline has none")] {
            let bad = try runFlukeWatch(["evaluate", labels] + args)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(message), bad.stderr)
        }
    }
}
