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
        public init() {}
    }

    /// Median wall time per photo of each stage, in milliseconds.
    public struct Timings: Codable, Sendable {
        public var decode: Double
        public var crop: Double
        public var embed: Double
        public var project: Double
        public var search: Double
        public var fitSeconds: Double
        public var calibrateSeconds: Double

        enum CodingKeys: String, CodingKey {
            case decode = "decode_ms", crop = "crop_ms", embed = "embed_ms", project = "project_ms", search = "search_ms"
            case fitSeconds = "fit_s", calibrateSeconds = "calibrate_s"
        }
    }

    public struct Report: Codable, Sendable {
        public var labels: String
        public var recipe: String
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
        public var timings: Timings
        /// Per query, when `Settings.keepQueries` is set; not part of the JSON output.
        public var queries: [EvaluatedQuery] = []

        enum CodingKeys: String, CodingKey {
            case labels, recipe, crop, seed, photos, unreadable, metrics, timings
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
        let csv = try CatalogCSV.load(path: labelsPath)
        let extractor = try FeatureExtractor(package: package, recipe: settings.recipe)
        let photos = PhotoFeatures(extractor: extractor)
        var features: [[Float]] = []
        var labels: [String] = []
        var files: [String] = []
        var decodeMs: [Double] = [], cropMs: [Double] = [], embedMs: [Double] = []
        var unreadable = 0
        for (i, row) in csv.rows.enumerated() {
            progress("features", i + 1, csv.rows.count)
            var vector: [Float] = []
            let total: Double
            do {
                let bytes = try PhotoFeatures.readBytes(row.file)
                total = try Self.milliseconds { vector = try photos.vector(of: bytes, crop: settings.crop) }
            } catch {
                unreadable += 1
                continue
            }
            // PhotoFeatures decodes, then the extractor crops and embeds: decode is the rest.
            cropMs.append(extractor.lastCropSeconds * 1000)
            embedMs.append(extractor.lastEmbedSeconds * 1000)
            decodeMs.append(total - cropMs.last! - embedMs.last!)
            features.append(vector)
            labels.append(row.individual)
            files.append(row.file)
        }
        let split = try EvaluationSplit(labels: labels, seed: settings.seed, unknownFraction: settings.unknownFraction,
                                        queriesPerIndividual: settings.queriesPerIndividual)
        var catalog = EmbeddingMatrix(dimension: features[0].count)
        for r in split.catalogRows { catalog.append(features[r]) }
        let catalogLabels = split.catalogRows.map { labels[$0] }

        // The same fit and calibration a station's catalog import runs, on the catalog part alone.
        var projection: Projection?
        let fitSeconds = try Self.milliseconds {
            projection = try CatalogFitter.fitProjection(catalog, labels: catalogLabels, recipe: settings.recipe)
        } / 1000
        var calibrationResult: ThresholdCalibration.Result?
        let calibrateSeconds = try Self.milliseconds {
            calibrationResult = try CatalogFitter.calibrate(catalog, labels: catalogLabels, recipe: settings.recipe,
                                                            projected: projection != nil)
        } / 1000
        let calibration = calibrationResult!

        var gallery = EmbeddingMatrix(dimension: projection?.outputDimension ?? catalog.dimension)
        for r in split.catalogRows { gallery.append(try CatalogIndex.embed(features[r], projection)) }
        let index = try Gallery(embeddings: gallery, individuals: catalogLabels, photoKeys: split.catalogRows.map(String.init),
                                aggregation: settings.recipe.aggregation)
        var outcomes: [QueryOutcome] = []
        var kept: [EvaluatedQuery] = []
        var projectMs: [Double] = [], searchMs: [Double] = []
        for (q, row) in split.queryRows.enumerated() {
            var query: [Float] = []
            var candidates: [IndividualScore] = []
            projectMs.append(try Self.milliseconds { query = try CatalogIndex.embed(features[row], projection) })
            searchMs.append(try Self.milliseconds { candidates = try index.rank(query: query, topK: 5) })
            outcomes.append(QueryOutcome(truth: split.queryIsNew[q] ? .new : .known(labels[row]), candidates: candidates))
            if settings.keepQueries {
                // Every individual's score, outside the timed search: the pair distributions need them all.
                let all = try index.rank(query: query, topK: index.individualCount)
                kept.append(EvaluatedQuery(file: files[row], truth: split.queryIsNew[q] ? nil : labels[row],
                                           candidates: candidates, catalogFile: { files[Int($0) ?? 0] }, allScores: all))
            }
        }
        let metrics = Metrics.report(outcomes, newThreshold: calibration.policy.newThreshold)
        return Report(
            labels: labelsPath, recipe: settings.recipe.json, crop: settings.crop.rawValue, modelVersion: package.version,
            seed: settings.seed, unknownFraction: settings.unknownFraction, queriesPer: settings.queriesPerIndividual,
            photos: features.count, unreadable: unreadable, catalogPhotos: split.catalogRows.count,
            catalogIndividuals: Set(catalogLabels).count, thresholdNew: calibration.policy.newThreshold,
            thresholdMatch: calibration.policy.matchThreshold, simulatedMAP5: calibration.simulatedMAP5, metrics: metrics,
            timings: Timings(decode: Self.median(decodeMs), crop: Self.median(cropMs), embed: Self.median(embedMs),
                             project: Self.median(projectMs), search: Self.median(searchMs),
                             fitSeconds: fitSeconds, calibrateSeconds: calibrateSeconds),
            queries: kept)
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
