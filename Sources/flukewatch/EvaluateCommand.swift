import ArgumentParser
import FlukeMatch
import FlukeStation
import FlukeVision
import Foundation

extension CropMode: ExpressibleByArgument {}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure identification on a labelled set (split into catalog and queries; nothing is written).",
        discussion: """
        Per individual, up to Q photos become queries and the rest the catalog; a fraction F of \
        individuals stay out of the catalog and their photos are 'new' queries. The projection \
        and the thresholds are fitted on the catalog part alone. Prints MAP@5 (new_whale counts \
        as a label), top-1, top-5, new-individual precision and recall, and per-stage timings.
        """)

    @OptionGroup var station: StationOptions

    @Argument(help: ArgumentHelp("CSV with the columns file,individual (paths relative to the CSV).", valueName: "LABELS.csv"))
    var labels: String

    @Option(name: .long, help: ArgumentHelp(
        "Seed of the split (default 1). Repeat for several splits of the same photos: each network runs once, and each seed gives its own report (with --json, one line per seed).",
        valueName: "N"))
    var seed: [UInt64] = []

    @Option(name: .customLong("unknown-fraction"), help: "Fraction F of individuals left out of the catalog.")
    var unknownFraction: Double = 0.2

    @Option(name: .customLong("queries-per"), help: "Queries Q per known individual.")
    var queriesPer: Int = 2

    @Option(name: .long, help: "fluke: crop to the fluke first; none: photos are already cropped.")
    var crop: CropMode = .fluke

    @Flag(name: .long, help: "The frozen ImageNet baseline: final pooled vector, nearest neighbour, no projection.")
    var baseline = false

    @Flag(name: .customLong("no-verify"), help: "Rank by the embedding alone, without geometric verification of the leaders.")
    var noVerify = false

    @Flag(name: .customLong("always-verify"), help: "Verify every query's leaders, even when the leader is beyond doubt (the daemon skips those).")
    var alwaysVerify = false

    @Option(name: .customLong("inlier-weight"), help: ArgumentHelp("What each geometrically consistent match adds to a verified leader's score (the station: 0.01, at most 30 matches counted).", valueName: "W"))
    var inlierWeight: Float?

    @Option(name: .customLong("lda-dimensions"), help: ArgumentHelp("LDA directions the projection keeps (the station: 384; 'all' keeps as many as the PCA's 1536), for measuring others.", valueName: "N|all"),
            transform: LDADirections.init(parsing:))
    var ldaDimensions: LDADirections?

    @Option(name: .customLong("lda-alpha"), help: ArgumentHelp("Shrinkage of the LDA's within-individual scatter, in (0, 1] (the station: 0.2), for measuring others.", valueName: "A"))
    var ldaAlpha: Double?

    @Flag(name: .customLong("fast-embedding"), help: "Embed each photo from one network run (the crop and its map zooms), as a station with [identification] fast_embedding = true does, instead of five.")
    var fastEmbedding = false

    @Option(name: .customLong("views-at"), help: ArgumentHelp("Where the four views are made: an inner map of the network (s8_c40, the station's default, or b2_out) turned and zoomed, each view running only the blocks after it, or image (four whole network runs), as a station with [identification] views_at does.", valueName: "PLACE"))
    var viewsAt: String?

    @Option(name: .customLong("catalog-views-at"), help: ArgumentHelp("Embed the catalog part with its four views made at PLACE instead (image, b2_out, s8_c40): the catalog is embedded off the photo's path, so it can afford the views the arriving photo cannot. The queries keep --views-at. (Research: on the right whales it ranks worse than either place alone.)", valueName: "PLACE"))
    var catalogViewsAt: String?

    @Flag(name: .customLong("fast-first"), help: "Also read each query answered from one network run where that answer is beyond doubt, the four views run only for the rest, at several margins.")
    var fastFirst = false

    @Flag(name: .long, help: "Also measure the frozen net and each step the station adds, as one table.")
    var ablation = false

    @Flag(name: .customLong("no-usefulness-gate"), help: "Let unusable photos (blurred, tiny, glare, cut by the frame) be called new.")
    var noUsefulnessGate = false

    @Option(name: .customLong("fine-tuned"), help: ArgumentHelp(
        "A model package fine-tuned on whales (tools/train), measured beside the station's on the same split. Repeat for packages trained on other whales: each query is scored by the first that never trained on its whale (the package's trained-individuals.txt).",
        valueName: "DIR"))
    var fineTuned: [String] = []

    @Flag(name: .long, help: "One JSON object.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Also write an HTML report (CMC curve, score distributions with the thresholds, worst failures) to DIR/index.html.", valueName: "DIR"))
    var report: String?

    func run() throws {
        let config = try station.resolveOptional()
        var settings = Evaluator.Settings()
        let seeds = seed.isEmpty ? [settings.seed] : seed
        settings.unknownFraction = unknownFraction
        settings.queriesPerIndividual = queriesPer
        settings.crop = crop
        settings.recipe = measuredRecipe
        if let catalogViewsAt {
            var catalog = settings.recipe
            catalog.viewsAt = MatchingRecipe.viewsAt(place: catalogViewsAt)
            if catalog != settings.recipe { settings.catalogRecipe = catalog }
        }
        if alwaysVerify { settings.verificationGate = nil }
        settings.keepQueries = report != nil
        settings.ablation = ablation
        settings.fastFirst = fastFirst
        settings.usefulnessGate = !noUsefulnessGate
        settings.fineTuned = try fineTuned.map { try ModelPackage(directory: $0) }
        let package = try ModelLocator.load(configured: config?.modelDirectory)
        var bar = ProgressBar()
        try Evaluator(package: package, settings: settings).run(labelsPath: labels, seeds: seeds) { phase, done, total in
            bar.update(phase, done, total)
        } measured: { report in
            if let directory = self.report {
                let path = try EvaluationReportHTML.write(report, to: directory)
                FileHandle.standardError.write(Data("report: \(path)\n".utf8))
            }
            // Each split as soon as it is measured: a long several-seed run keeps what it finished.
            if json {
                try Output.jsonLine(report)
            } else {
                printText(report)
            }
            fflush(nil)  // every C stream: stdout is block-buffered when it is a file
        }
    }

    /// The recipe the queries are measured with: the station's (or the baseline, or the one-run
    /// form) with the options applied. Read after `validate()`'s place checks.
    private var measuredRecipe: MatchingRecipe {
        var recipe: MatchingRecipe = baseline ? .baseline : fastEmbedding ? .fastStation : .station
        if let viewsAt { recipe.viewsAt = MatchingRecipe.viewsAt(place: viewsAt) }
        if noVerify { recipe.verification = nil }
        if let inlierWeight { recipe.verification?.weightPerInlier = inlierWeight }
        if let ldaDimensions { recipe.projection?.outputDimension = ldaDimensions.count }
        if let ldaAlpha { recipe.projection?.alpha = ldaAlpha }
        return recipe
    }

    func validate() throws {
        if report != nil, seed.count > 1 {
            throw ValidationError("--report writes one split's report: give one --seed with it")
        }
        try Self.checkPlace(viewsAt, option: "--views-at")
        try Self.checkPlace(catalogViewsAt, option: "--catalog-views-at")
        if viewsAt != nil, fastEmbedding || baseline {
            throw ValidationError("--views-at places the four views; --fast-embedding and --baseline make none")
        }
        if let inlierWeight {
            guard inlierWeight > 0, inlierWeight <= 0.05 else {
                throw ValidationError("--inlier-weight \(inlierWeight): expected a weight above 0 and at most 0.05 (the station uses 0.01)")
            }
            if noVerify || baseline { throw ValidationError("--inlier-weight weighs the verification's matches; --no-verify and --baseline verify nothing") }
        }
        if ldaDimensions != nil || ldaAlpha != nil {
            if baseline { throw ValidationError("--lda-dimensions and --lda-alpha shape the projection; --baseline has none") }
            if let ldaAlpha, !(ldaAlpha > 0 && ldaAlpha <= 1) {
                throw ValidationError("--lda-alpha \(ldaAlpha): expected a shrinkage above 0 and at most 1 (the station uses 0.2)")
            }
        }
        if catalogViewsAt != nil {
            if fastEmbedding || baseline {
                throw ValidationError("--catalog-views-at places the catalog's four views; --fast-embedding and --baseline make none")
            }
            if ablation || fastFirst {
                throw ValidationError("--catalog-views-at is measured on its own: the ablation's and --fast-first's rows embed the catalog as the queries")
            }
        }
        if fastFirst, measuredRecipe.viewsAt != nil {
            throw ValidationError("--fast-first counts each view as a whole network run: measure it with the views on the image (--views-at image)")
        }
    }

    /// A place the views can be made at (nil: not given), or the option's error listing them.
    private static func checkPlace(_ place: String?, option: String) throws {
        if let place, !MatchingRecipe.viewPlaces.contains(place) {
            throw ValidationError("\(option) \(place): expected one of \(MatchingRecipe.viewPlaces.joined(separator: ", "))")
        }
    }

    private func printText(_ report: Evaluator.Report) {
        let m = report.metrics
        let e = report.encounterMetrics
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        print("""
            \(baseline ? "baseline (pooled vector, nearest neighbour)" : "FlukeWatch recipe") on \(report.labels)\(catalogViewsAt.map { ", the catalog's views made at \($0)" } ?? "")
              \(report.photos) photos (\(report.unreadable) unreadable); catalog \(report.catalogPhotos) photos of \(report.catalogIndividuals) individuals; \(m.knownQueries) known + \(m.newQueries) new queries
              MAP@5 \(f(m.map5))   top-1 \(f(m.top1))   top-5 \(f(m.top5))   new precision \(f(m.newPrecision))   new recall \(f(m.newRecall))
              encounters (\(report.encounters): a known whale's query photos together, an unknown whale's in groups of \(report.queriesPer)): MAP@5 \(f(e.map5))   top-1 \(f(e.top1))   top-5 \(f(e.top5))   new precision \(f(e.newPrecision))   new recall \(f(e.newRecall))
              unusable query photos: \(report.unusableQueries) (\(report.usefulnessGate ? "never called new" : "gate off"))
              thresholds from the catalog alone: new < \(String(format: "%.3f", report.thresholdNew)), match ≥ \(String(format: "%.3f", report.thresholdMatch)) (simulated MAP@5 \(f(report.simulatedMAP5)))
              geometric verification: \(verification(report))
              per photo (median): decode \(f(report.timings.decode)) ms, crop \(f(report.timings.crop)) ms, embed \(f(report.timings.embed)) ms, project \(f(report.timings.project)) ms, search \(f(report.timings.search)) ms, local features \(f(report.timings.localFeatures)) ms, verify \(f(report.timings.verify)) ms; fit \(f(report.timings.fitSeconds)) s, calibrate \(f(report.timings.calibrateSeconds)) s
            \(fineTunedLines(report.fineTuned))  model \(report.modelVersion), split seed \(report.seed), F = \(report.unknownFraction), Q = \(report.queriesPer), crop \(report.crop)
            """)
        if !report.ablation.isEmpty { print(AblationTable.render(report.ablation)) }
        if !report.verificationGate.isEmpty { print(AblationTable.render(gate: report.verificationGate)) }
        if !report.fastFirst.isEmpty { print(AblationTable.render(fastFirst: report.fastFirst, station: report.metrics)) }
    }

    /// The fine-tuned packages' pooled figures and each package's share, or nothing.
    private func fineTunedLines(_ report: Evaluator.FineTunedReport?) -> String {
        guard let report else { return "" }
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        let m = report.metrics, e = report.encounterMetrics
        var out = "  fine-tuned trunk (each query scored by a package that never trained on its whale): MAP@5 \(f(m.map5))   top-1 \(f(m.top1))   top-5 \(f(m.top5))   new precision \(f(m.newPrecision))   new recall \(f(m.newRecall));   encounters: MAP@5 \(f(e.map5))   top-1 \(f(e.top1))\n"
        for p in report.packages {
            out += "      \(p.modelVersion) (trained on \(p.trainedIndividuals) whales): \(p.queries) queries, \(p.encounters) encounters; top-1 \(f(p.metrics.top1)); new < \(String(format: "%.3f", p.thresholdNew)), match ≥ \(String(format: "%.3f", p.thresholdMatch))\n"
        }
        return out
    }

    /// Which queries were verified, in words.
    private func verification(_ report: Evaluator.Report) -> String {
        guard !report.verificationGate.isEmpty else { return "off" }
        let skipped = report.verificationGateMargin.map { String(format: "; a matching leader ahead by more than %.2f is not verified", $0) } ?? ""
        return "\(report.verifiedQueries) of \(report.metrics.queries) queries\(skipped)"
    }
}

/// The ablation as a Markdown table (pastes into a README or an issue as it is).
enum AblationTable {
    static func render(_ rows: [Evaluator.AblationRow]) -> String {
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        var out = "\n| step | MAP@5 | top-1 | top-5 | new P | new R | encounter top-1 | encounter MAP@5 |\n|---|---|---|---|---|---|---|---|\n"
        for r in rows {
            let m = r.metrics, e = r.encounterMetrics
            out += "| \(r.step) | \(f(m.map5)) | \(f(m.top1)) | \(f(m.top5)) | \(f(m.newPrecision)) | \(f(m.newRecall)) | \(f(e.top1)) | \(f(e.map5)) |\n"
        }
        return out
    }

    /// `--fast-first`: at each pair of margins, the photos a single run would answer and what the rest cost.
    static func render(fastFirst rows: [Evaluator.FastFirstRow], station: MetricsReport) -> String {
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        var out = "\n| one run answers when (else five) | photos answered from one run | known whales' photos so | runs a photo | MAP@5 | top-1 | top-5 | new P | new R |\n|---|---|---|---|---|---|---|---|---|\n"
        out += "| never (the station) | 0 / \(station.queries) | 0 | 5 | \(f(station.map5)) | \(f(station.top1)) | \(f(station.top5)) | \(f(station.newPrecision)) | \(f(station.newRecall)) |\n"
        for r in rows {
            let m = r.metrics
            let when = String(format: "a match ahead by > %.2f", r.matchMargin) + (r.newMargin.map { String(format: ", or under new by > %.2f", $0) } ?? " (never new)")
            out += "| \(when) | \(r.oneRunQueries) / \(r.queries) | \(r.oneRunKnownQueries) / \(r.knownQueries) | \(String(format: "%.2f", r.meanRuns)) | \(f(m.map5)) | \(f(m.top1)) | \(f(m.top5)) | \(f(m.newPrecision)) | \(f(m.newRecall)) |\n"
        }
        return out
    }

    /// The verification gate's margins, each with what it skips and what it costs.
    static func render(gate rows: [Evaluator.GateRow]) -> String {
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        var out = "\n| verification | queries verified | MAP@5 | top-1 | top-5 | new P | new R | encounter top-1 |\n|---|---|---|---|---|---|---|---|\n"
        for r in rows {
            let m = r.metrics, e = r.encounterMetrics
            let gate = r.margin.map { String(format: "skipped when a matching leader leads by > %.2f", $0) } ?? "every query"
            out += "| \(gate) | \(r.verifiedQueries) / \(r.queries) | \(f(m.map5)) | \(f(m.top1)) | \(f(m.top5)) | \(f(m.newPrecision)) | \(f(m.newRecall)) | \(f(e.top1)) |\n"
        }
        return out
    }
}

/// `--lda-dimensions`: how many LDA directions the projection keeps, or every one the PCA leaves.
struct LDADirections {
    /// nil: all of them (`Projection.Parameters.outputDimension` nil).
    let count: Int?

    init(parsing argument: String) throws {
        if argument == "all" {
            count = nil
        } else if let n = Int(argument), n >= 1 {
            count = n
        } else {
            throw ValidationError("expected a number of directions (the station keeps 384) or 'all'")
        }
    }
}
