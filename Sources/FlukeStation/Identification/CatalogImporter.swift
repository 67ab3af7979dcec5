import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation
import Logging

/// `flukewatch catalog import CSV`: adds each listed photo to the station's catalog (one
/// transaction per photo; bad rows reported with their line and skipped), then refits the
/// projection and recalibrates the thresholds on the whole catalog. Re-importing is idempotent.
public struct CatalogImporter {
    public struct Summary: Codable, Sendable {
        public var rows = 0
        public var added = 0
        public var alreadyPresent = 0
        public var skipped: [String] = []
        public var individuals = 0
        public var catalogPhotos = 0
        public var thresholdNew: Double?
        public var thresholdMatch: Double?
        public var simulatedMAP5: Double?
        public var modelVersion = ""

        enum CodingKeys: String, CodingKey {
            case rows, added, skipped, individuals
            case alreadyPresent = "already_present", catalogPhotos = "catalog_photos", thresholdNew = "threshold_new"
            case thresholdMatch = "threshold_match", simulatedMAP5 = "simulated_map5", modelVersion = "model_version"
        }
    }

    let store: CatalogStore
    let package: ModelPackage
    let recipe: MatchingRecipe
    let logger: Logger

    public init(database: StationDatabase, package: ModelPackage, recipe: MatchingRecipe = .station, logger: Logger) {
        self.store = CatalogStore(database: database)
        self.package = package
        self.recipe = recipe
        self.logger = logger
    }

    public func run(csvPath: String, crop: CropMode, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let csv = try CatalogCSV.load(path: csvPath)
        var s = Summary()
        s.rows = csv.rows.count + csv.problems.count
        s.skipped = csv.problems.map { "\(csvPath):\($0)" }
        let features = PhotoFeatures(extractor: try FeatureExtractor(package: package, recipe: recipe))
        for (i, row) in csv.rows.enumerated() {
            progress(i + 1, csv.rows.count)
            do {
                let bytes = try PhotoFeatures.readBytes(row.file)
                let sha = ContentHasher.hash(bytes: bytes).hex
                if try store.contains(individual: row.individual, sha256: sha, modelVersion: package.featureVersion(recipe), crop: crop.rawValue) {
                    s.alreadyPresent += 1
                    continue
                }
                let extraction = try features.extract(bytes, crop: crop)
                switch try store.add(individual: row.individual, name: row.name, sha256: sha, sourcePath: row.file,
                                     feature: extraction.vectors[0], modelVersion: package.featureVersion(recipe), crop: crop.rawValue,
                                     localFeatures: extraction.local?.blob) {
                case .added: s.added += 1
                case .alreadyPresent: s.alreadyPresent += 1
                case .conflict(let other):
                    s.skipped.append("\(csvPath):line \(row.line): \(row.file) is already in the catalog as \(other), not \(row.individual)")
                }
            } catch {
                s.skipped.append("\(csvPath):line \(row.line): \(row.file): \(error)")
            }
        }
        for problem in s.skipped { logger.warning("skipped \(problem)") }
        let counts = try store.counts()
        s.individuals = counts.individuals
        s.catalogPhotos = counts.photos
        s.modelVersion = package.featureVersion(recipe)
        let existing = try store.fittedModel(version: package.featureVersion(recipe), includingProjection: false)
        if s.added > 0 || existing == nil, counts.photos > 0 {
            let fit = try CatalogFitter(store: store).refit(modelVersion: package.featureVersion(recipe), recipe: recipe)
            s.thresholdNew = fit.fitted.thresholdNew
            s.thresholdMatch = fit.fitted.thresholdMatch
            s.simulatedMAP5 = fit.fitted.simulatedMAP5
        } else if let fitted = existing {
            s.thresholdNew = fitted.thresholdNew
            s.thresholdMatch = fitted.thresholdMatch
            s.simulatedMAP5 = fitted.simulatedMAP5
        }
        return s
    }
}
