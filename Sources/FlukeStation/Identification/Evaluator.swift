import FlukeCore
import FlukeMatch
import FlukeVision
import Foundation

/// `flukewatch evaluate`: splits a labelled set deterministically, builds a throw-away catalog
/// from the catalog part (projection and thresholds fitted on it alone), asks every query, and
/// reports MAP@5 (new_whale counting as a label), top-1/top-5, new-individual precision/recall
/// and per-stage timings. Nothing is written to any station.
public struct Evaluator {
    public struct Settings: Sendable {
        public var seed: UInt64 = 1
        public var unknownFraction = 0.2
        public var queriesPerIndividual = 2
        public var crop: CropMode = .fluke
        public var recipe: MatchingRecipe = .station
        /// Keep every query's ranking and its pair scores in `Report.queries` (for `--report`).
        public var keepQueries = false
        /// Unusable query photos (`PhotoUsefulness`) are never called new, as in the daemon.
        public var usefulnessGate = true
        public var usefulnessLimits = PhotoUsefulness.Limits.standard
        /// Also measure the frozen net and each added step, in one table.
        public var ablation = false
        /// Verification skipped for queries beyond doubt, as the daemon does (nil: every query verified).
        public var verificationGate: VerificationGate? = .station
        /// Networks fine-tuned on whales, measured beside the station's package on the same split,
        /// each query by one that never trained on its whale (`Evaluator+FineTuned`).
        public var fineTuned: [ModelPackage] = []
        /// Also read every query answered from one network run when that answer is beyond doubt
        /// (`Evaluator+FastFirst`), at several margins.
        public var fastFirst = false
        /// The catalog part embedded with another recipe than the queries (nil: the same;
        /// `Evaluator+CatalogRecipe`); the projection and thresholds are fitted on its vectors.
        public var catalogRecipe: MatchingRecipe?
        public init() {}
    }

    /// Median wall time per photo of each stage, in milliseconds.
    public struct Timings: Codable, Sendable {
        public var decode: Double
        public var crop: Double
        public var embed: Double
        public var project: Double
        public var search: Double
        /// SIFT on the 224×224 crop, and re-ranking the leaders by it (0 when not verifying).
        public var localFeatures: Double
        public var verify: Double
        public var fitSeconds: Double
        public var calibrateSeconds: Double

        enum CodingKeys: String, CodingKey {
            case decode = "decode_ms", crop = "crop_ms", embed = "embed_ms", project = "project_ms", search = "search_ms"
            case localFeatures = "local_features_ms", verify = "verify_ms"
            case fitSeconds = "fit_s", calibrateSeconds = "calibrate_s"
        }
    }

    public struct Report: Codable, Sendable {
        public var labels: String
        public var recipe: String
        /// The catalog part's recipe when it differs from the queries' (`--catalog-views-at`); nil otherwise.
        public var catalogRecipe: String?
        public var crop: String
        public var modelVersion: String
        public var seed: UInt64
        public var unknownFraction: Double
        public var queriesPer: Int
        public var photos: Int
        public var unreadable: Int
        public var catalogPhotos: Int
        public var catalogIndividuals: Int
        public var thresholdNew: Float
        public var thresholdMatch: Float
        public var simulatedMAP5: Double
        public var metrics: MetricsReport
        /// The same queries grouped as encounters (a known individual's query photos together;
        /// an unknown individual's in groups of Q), each ranked once with its photos' evidence combined.
        public var encounterMetrics: MetricsReport
        public var encounters: Int
        /// Query photos the usefulness rules mark unusable (never called new when the gate is on).
        public var unusableQueries: Int
        public var usefulnessGate: Bool
        public var timings: Timings
        /// The frozen net and each added step (`--ablation`); empty otherwise.
        public var ablation: [AblationRow]
        /// The gate's margin the headline metrics were read with (nil: every query verified).
        public var verificationGateMargin: Float?
        /// Queries whose leaders were verified under that gate.
        public var verifiedQueries: Int
        /// The same queries under no gate and several margins (empty when the recipe does not verify).
        public var verificationGate: [GateRow]
        /// The fine-tuned packages' pooled measurement (`--fine-tuned`); nil otherwise.
        public var fineTuned: FineTunedReport?
        /// One-run answers where they are beyond doubt, at several margins (`--fast-first`); empty otherwise.
        public var fastFirst: [FastFirstRow] = []
        /// Per query, when `Settings.keepQueries` is set; not part of the JSON output.
        public var queries: [EvaluatedQuery] = []

        enum CodingKeys: String, CodingKey {
            case labels, recipe, crop, seed, catalogRecipe = "catalog_recipe", photos, unreadable, metrics, timings, encounters, ablation
            case verificationGateMargin = "verification_gate_margin", verifiedQueries = "verified_queries"
            case verificationGate = "verification_gate", fineTuned = "fine_tuned", fastFirst = "fast_first"
            case encounterMetrics = "encounter_metrics", unusableQueries = "unusable_queries", usefulnessGate = "usefulness_gate"
            case modelVersion = "model_version", unknownFraction = "unknown_fraction", queriesPer = "queries_per"
            case catalogPhotos = "catalog_photos", catalogIndividuals = "catalog_individuals"
            case thresholdNew = "threshold_new", thresholdMatch = "threshold_match", simulatedMAP5 = "simulated_map5"
        }
    }

    let package: ModelPackage
    let settings: Settings

    public init(package: ModelPackage, settings: Settings) {
        self.package = package
        self.settings = settings
    }

    public func run(labelsPath: String, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        var report: Report?
        try run(labelsPath: labelsPath, seeds: [settings.seed], progress: progress) { report = $0 }
        return report!
    }

    /// One report per seed, in the order given, each handed to `measured` as soon as it is made,
    /// so a long run shows (and, if stopped, keeps) the splits already measured. The photos are
    /// read and every network run once; only the split, the fits, the calibrations and the
    /// rankings are redone per seed, so each report equals that of a run with `settings.seed`
    /// set to its seed.
    public func run(labelsPath: String, seeds: [UInt64], progress: (String, Int, Int) -> Void = { _, _, _ in },
                    measured: (Report) throws -> Void) throws
    {
        let csv = try CatalogCSV.load(path: labelsPath)
        try checkNotTrainedOn(csv)
        let plan = try fineTunedPlan(csv)
        let extracted = try extractAll(csv, package: package, recipes: stationLayout.recipes, progress: progress)
        let fineTuned = try plan.map { (plan: $0, sets: try extractFineTuned(csv, matching: extracted, progress: progress)) }
        for seed in seeds {
            try measured(try report(seed: seed, labelsPath: labelsPath, extracted: extracted, fineTuned: fineTuned, progress: progress))
        }
    }

    /// One split of the extracted set, measured: the station's trial and, when asked, the ablation,
    /// the gate's margins and the fine-tuned packages (`fineTuned`: their plan and extracted sets).
    private func report(seed: UInt64, labelsPath: String, extracted: ExtractedSet,
                        fineTuned fineTunedInput: (plan: FineTunedPlan, sets: [ExtractedSet])?,
                        progress: (String, Int, Int) -> Void) throws -> Report
    {
        let split = try EvaluationSplit(labels: extracted.labels, seed: seed, unknownFraction: settings.unknownFraction,
                                        queriesPerIndividual: settings.queriesPerIndividual)
        let encounters = split.encounters(labels: extracted.labels, size: settings.queriesPerIndividual)
        let usable = split.queryRows.map { extracted.usefulness[$0].isUsable(under: settings.usefulnessLimits) }

        let layout = stationLayout
        progress("fit", 0, 1)
        let verified = try Trial(recipe: settings.recipe, features: layout.stationFeatures(extracted, split: split), local: extracted.local,
                                 labels: extracted.labels, split: split)
        let verificationGate = verified.globalRankings.isEmpty ? nil : settings.verificationGate
        let (station, verifiedFlags) = verified.gated(by: verificationGate)
        let gate = settings.usefulnessGate ? usable : nil
        let fineTuned = try fineTunedInput.map { input in try fineTunedReport(
            plan: input.plan, sets: input.sets,
            shared: SharedTrial(split: split, extracted: extracted, encounters: encounters, usable: gate,
                                verificationGate: verificationGate),
            progress: progress) }
        var ablation = settings.ablation
            ? try ablationRows(verified: verified, station: station, extracted: extracted, split: split, usable: usable,
                               encounters: encounters, progress: progress)
            : []
        if settings.ablation, let fineTuned { ablation.append(fineTunedRow(fineTuned)) }
        var fastFirst: [FastFirstRow] = []
        if let oneRun = layout.fastFirst {
            progress("fit", 0, 1)
            let fast = try Trial(recipe: layout.recipes[oneRun], features: extracted.vectors[oneRun], local: extracted.local,
                                 labels: extracted.labels, split: split).gated(by: verificationGate).trial
            fastFirst = fastFirstRows(station: station, fast: fast, usable: gate)
        }
        let timings = Timings(decode: Self.median(extracted.decodeMs), crop: Self.median(extracted.cropMs),
                              embed: Self.median(extracted.embedMs), project: Self.median(station.projectMs),
                              search: Self.median(station.searchMs), localFeatures: Self.median(extracted.localMs),
                              verify: Self.median(station.verifyMs), fitSeconds: station.fitSeconds,
                              calibrateSeconds: station.calibrateSeconds)
        return Report(
            labels: labelsPath, recipe: settings.recipe.json, catalogRecipe: settings.catalogRecipe?.json, crop: settings.crop.rawValue, modelVersion: package.version,
            seed: seed, unknownFraction: settings.unknownFraction, queriesPer: settings.queriesPerIndividual,
            photos: extracted.labels.count, unreadable: extracted.unreadable, catalogPhotos: split.catalogRows.count,
            catalogIndividuals: Set(split.catalogRows.map { extracted.labels[$0] }).count,
            thresholdNew: station.policy.newThreshold, thresholdMatch: station.policy.matchThreshold,
            simulatedMAP5: station.calibration.simulatedMAP5, metrics: station.metrics(usable: gate),
            encounterMetrics: station.encounterMetrics(encounters, usable: gate), encounters: encounters.count,
            unusableQueries: usable.filter { !$0 }.count, usefulnessGate: settings.usefulnessGate,
            timings: timings, ablation: ablation, verificationGateMargin: verificationGate?.margin, verifiedQueries: verifiedFlags.filter { $0 }.count,
            verificationGate: gateRows(verified, usable: gate, encounters: encounters), fineTuned: fineTuned, fastFirst: fastFirst,
            queries: settings.keepQueries ? station.evaluatedQueries(split: split, labels: extracted.labels, files: extracted.files) : [])
    }

    /// Whether `--fast-first` applies: the station's recipe has views to skip.
    var fastFirstMeasured: Bool { settings.fastFirst && !settings.recipe.extraViews.isEmpty }

    /// Every readable photo's vectors (one per recipe, from one run of `package`'s network) and
    /// usefulness; its local features too when the first recipe verifies, unless `localFeatures` is false.
    func extractAll(_ csv: CatalogCSV, package: ModelPackage, recipes: [MatchingRecipe], localFeatures: Bool = true,
                    progress: (String, Int, Int) -> Void) throws -> ExtractedSet
    {
        let local = localFeatures && recipes[0].verification != nil
        let extractor = try FeatureExtractor(package: package, recipe: recipes[0], also: Array(recipes.dropFirst()),
                                             localFeatures: local)
        var out = ExtractedSet(vectors: Array(repeating: [], count: recipes.count))
        for (i, row) in csv.rows.enumerated() {
            progress("features", i + 1, csv.rows.count)
            var extraction: FeatureExtractor.Extraction?
            let total: Double
            do {
                let bytes = try PhotoFeatures.readBytes(row.file)
                total = try Self.milliseconds { extraction = try PhotoFeatures(extractor: extractor).extract(bytes, crop: settings.crop) }
            } catch {
                out.unreadable += 1
                continue
            }
            // PhotoFeatures decodes, then the extractor crops and embeds: decode is the rest.
            out.cropMs.append(extractor.lastCropSeconds * 1000)
            out.embedMs.append(extractor.lastEmbedSeconds * 1000)
            out.decodeMs.append(total - out.cropMs.last! - out.embedMs.last! - extractor.lastLocalFeaturesSeconds * 1000)
            if local {
                out.local.append(extraction!.local)
                out.localMs.append(extractor.lastLocalFeaturesSeconds * 1000)
            }
            for r in recipes.indices { out.vectors[r].append(extraction!.vectors[r]) }
            out.usefulness.append(extraction!.usefulness)
            out.labels.append(row.individual)
            out.files.append(row.file)
        }
        return out
    }

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// One evaluation query as the HTML report shows it.
public struct EvaluatedQuery: Sendable {
    public struct Candidate: Sendable {
        public var individual: String
        public var score: Float
        /// The catalog photo of that individual that scored best.
        public var file: String
    }

    public var file: String
    /// The right individual; nil for a whale left out of the catalog (the right call is new).
    public var truth: String?
    /// The top 5, best first.
    public var candidates: [Candidate]
    /// The right individual's score (a same-individual pair); nil for a new whale.
    public var sameScore: Float?
    /// Every other catalog individual's score (different-individual pairs).
    public var differentScores: [Float]

    init(file: String, truth: String?, candidates: [IndividualScore], catalogFile: (String) -> String, allScores: [IndividualScore]) {
        self.file = file
        self.truth = truth
        self.candidates = candidates.map { Candidate(individual: $0.individual, score: $0.score, file: catalogFile($0.photoKey)) }
        sameScore = allScores.first { $0.individual == truth }?.score
        differentScores = allScores.filter { $0.individual != truth }.map(\.score)
    }

    /// 1-based rank of the right individual in the top 5; nil when absent or new.
    public var rankOfTruth: Int? { candidates.firstIndex { $0.individual == truth }.map { $0 + 1 } }
}
