import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation
import Logging

/// Brings the catalog to a newly installed model: every catalog photo is embedded again from its
/// original file (checked against its SHA-256), one transaction per photo, then the projection
/// and thresholds are refitted for the new version. The old version's embeddings stay (a
/// rollback to the old model needs no work); no ranking ever mixes versions, because the index
/// loads one version only. Resumable: after a restart only the photos still missing are done.
public struct CatalogReembedder: Sendable {
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

    /// Catalog photos without an embedding for this model and recipe (imported under another
    /// model, or with `fast_embedding` set otherwise, or failing to re-embed).
    public func missingCount() throws -> Int {
        try store.photosToEmbed(for: package.featureVersion(recipe)).count
    }

    public struct Summary: Codable, Sendable {
        public var modelVersion: String
        public var embedded = 0
        public var failed: [String] = []
        public var refitted = false
        /// Bytes of other models' catalog embeddings that `catalog prune` could now remove.
        public var otherModelsBytes = 0

        enum CodingKeys: String, CodingKey {
            case embedded, failed, refitted, modelVersion = "model_version", otherModelsBytes = "other_models_bytes"
        }
    }

    /// Re-embeds what is missing and refits. `shouldStop` is asked between photos (a daemon
    /// stopping); a stopped run resumes where it left off next time.
    public func run(shouldStop: () -> Bool = { false }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        var summary = Summary(modelVersion: package.featureVersion(recipe))
        let todo = try store.photosToEmbed(for: package.featureVersion(recipe))
        guard !todo.isEmpty else { return summary }
        try store.beginModelChange(package.featureVersion(recipe), remaining: todo.count)
        logger.notice("re-embedding \(todo.count) catalog photos for model \(package.featureVersion(recipe)); photos wait in the queue and are identified with the new model when it is done")
        let features = PhotoFeatures(extractor: try FeatureExtractor(package: package, recipe: recipe))
        for (i, photo) in todo.enumerated() {
            if shouldStop() { return summary }
            progress(i + 1, todo.count)
            do {
                let bytes = try PhotoFeatures.readBytes(photo.sourcePath)
                guard ContentHasher.hash(bytes: bytes).hex == photo.sha256 else {
                    throw PhotoFeatures.Failure.unreadable("its content changed since it was catalogued")
                }
                let extraction = try features.extract(bytes, crop: CropMode(rawValue: photo.crop) ?? .fluke)
                try store.addEmbedding(extraction.vectors[0], for: photo, modelVersion: package.featureVersion(recipe),
                                       localFeatures: extraction.local?.blob)
                summary.embedded += 1
            } catch {
                let message = "catalog photo \(photo.sourcePath) (\(photo.individual)): \(error)"
                summary.failed.append(message)
                try store.recordModelChangeFailure(package.featureVersion(recipe), message)
                logger.warning("cannot re-embed \(message); it stays out of the catalog for this model until it is imported again (`flukewatch catalog import`)")
            }
        }
        if try store.featureModelVersions().contains(package.featureVersion(recipe)) {
            _ = try CatalogFitter(store: store).refit(modelVersion: package.featureVersion(recipe), recipe: recipe)
            summary.refitted = true
        }
        try store.finishModelChange(package.featureVersion(recipe))
        // A hint only: a failed count must not fail a re-embedding that is done.
        summary.otherModelsBytes = (try? store.otherVersions(inUse: package.featureVersion(recipe)))?.reduce(0) { $0 + $1.removableBytes } ?? 0
        let keptNote = summary.otherModelsBytes > 0
            ? String(format: "; earlier models' catalog embeddings (%.1f MB) are kept so switching back is instant, `flukewatch catalog prune` removes them",
                     Double(summary.otherModelsBytes) / 1_000_000)
            : ""
        logger.notice("catalog re-embedded for model \(package.featureVersion(recipe)): \(summary.embedded) photos, \(summary.failed.count) failed\(keptNote)")
        return summary
    }
}
