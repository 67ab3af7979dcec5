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
        public var recipe: FeatureRecipe = .standard
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
        var features: [[Float]] = []
        var labels: [String] = []
        var decodeMs: [Double] = [], cropMs: [Double] = [], embedMs: [Double] = []
        var unreadable = 0
        for (i, row) in csv.rows.enumerated() {
            progress("features", i + 1, csv.rows.count)
            let t0 = DispatchTime.now().uptimeNanoseconds
            guard let bytes = FileManager.default.contents(atPath: row.file).map([UInt8].init),
                  case .image(let header) = try ImageInspector.inspect(MemoryBytes(bytes), maxPixels: 150_000_000),
                  let image = try? PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: 512),
                                                       orientation: (try? EXIFReader.read(MemoryBytes(bytes)).orientation ?? .up) ?? .up)
            else {
                unreadable += 1
                continue
            }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let (vector, _) = try extractor.features(of: image, crop: settings.crop)
            decodeMs.append(Double(t1 - t0) / 1e6)
            cropMs.append(extractor.lastCropSeconds * 1000)
            embedMs.append(extractor.lastEmbedSeconds * 1000)
            features.append(vector)
            labels.append(row.individual)
        }
        let split = try EvaluationSplit(labels: labels, seed: settings.seed, unknownFraction: settings.unknownFraction,
                                        queriesPerIndividual: settings.queriesPerIndividual)
        var catalog = EmbeddingMatrix(dimension: features[0].count)
        for r in split.catalogRows { catalog.append(features[r]) }
        let catalogLabels = split.catalogRows.map { labels[$0] }

        let fitStart = Date()
        let counts = Dictionary(grouping: catalogLabels, by: { $0 }).mapValues(\.count)
        let parameters = settings.recipe.project && counts.values.filter { $0 >= 2 }.count >= 2 ? settings.recipe.projectionParameters : nil
        let projection = try parameters.map { try Projection.fit(features: catalog, labels: catalogLabels, parameters: $0) }
        let fitSeconds = Date().timeIntervalSince(fitStart)
        let calStart = Date()
        let calibration = try ThresholdCalibration.calibrate(features: catalog, labels: catalogLabels, projection: parameters)
        let calibrateSeconds = Date().timeIntervalSince(calStart)

        var gallery = EmbeddingMatrix(dimension: projection?.outputDimension ?? catalog.dimension)
        for r in split.catalogRows { gallery.append(try projection?.apply(features[r]) ?? CatalogIndex.normalized(features[r])) }
        let index = try Gallery(embeddings: gallery, individuals: catalogLabels, photoKeys: split.catalogRows.map(String.init))
        var outcomes: [QueryOutcome] = []
        var projectMs: [Double] = [], searchMs: [Double] = []
        for (q, row) in split.queryRows.enumerated() {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let query = try projection?.apply(features[row]) ?? CatalogIndex.normalized(features[row])
            let t1 = DispatchTime.now().uptimeNanoseconds
            let candidates = try index.rank(query: query, topK: 5)
            let t2 = DispatchTime.now().uptimeNanoseconds
            projectMs.append(Double(t1 - t0) / 1e6)
            searchMs.append(Double(t2 - t1) / 1e6)
            outcomes.append(QueryOutcome(truth: split.queryIsNew[q] ? .new : .known(labels[row]), candidates: candidates))
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
                             fitSeconds: fitSeconds, calibrateSeconds: calibrateSeconds))
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
