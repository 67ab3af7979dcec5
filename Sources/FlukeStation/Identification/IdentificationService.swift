import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation
import Logging
import Synchronization

/// Identification inside the daemon: the shared catalog index (replaced in place when the
/// catalog is refitted, without a restart) and a feature extractor per worker thread.
public final class IdentificationService: Sendable {
    public let package: ModelPackage
    /// What catalog and photos are embedded with (`StationConfig.recipe`).
    public let recipe: MatchingRecipe
    let store: CatalogStore
    let crop: CropMode
    let topK: Int
    let overrides: ThresholdOverrides
    let usefulnessLimits: PhotoUsefulness.Limits
    /// Which photos skip verification (nil: `verify_every_photo`).
    let gate: VerificationGate?
    /// nil when `encounter_gap` is 0.
    let encounters: EncounterIdentifier?
    private let index = Mutex<CatalogIndex?>(nil)
    private let loadedFittedAt = Mutex<Date?>(nil)
    private let holding = Atomic<Bool>(false)

    public init(package: ModelPackage, database: StationDatabase, config: StationConfig) {
        self.package = package
        self.recipe = config.recipe
        self.store = CatalogStore(database: database)
        self.crop = config.cropToFluke ? .fluke : .none
        self.topK = config.topK
        self.usefulnessLimits = config.usefulness
        self.gate = config.verificationGate
        self.encounters = config.encounterGap > 0 ? EncounterIdentifier(database: database, gap: config.encounterGap) : nil
        self.overrides = ThresholdOverrides(newThreshold: config.thresholdNew, matchThreshold: config.thresholdMatch)
    }

    /// The version this station's feature vectors are stored and fitted under (the model's, plus
    /// the recipe's grid, views and map zooms).
    public var featureVersion: String { package.featureVersion(recipe) }

    /// True while the catalog is being re-embedded for this model: workers leave photos queued.
    public var isHoldingForModelChange: Bool { holding.load(ordering: .acquiring) }
    func holdForModelChange(_ hold: Bool) { holding.store(hold, ordering: .releasing) }

    /// The index in use (nil until a catalog has been imported and fitted for this model).
    public var current: CatalogIndex? { index.withLock { $0 } }

    /// Loads the index when the catalog was (re)fitted since the last load. Returns true when it changed.
    @discardableResult
    public func refreshIfChanged() throws -> Bool {
        let fitted = try store.fittedModel(version: featureVersion, includingProjection: false)
        guard fitted?.fittedAt != loadedFittedAt.withLock({ $0 }) else { return false }
        let fresh = try CatalogIndex.load(store: store, modelVersion: featureVersion, overrides: overrides, gate: gate)
        index.withLock { $0 = fresh }
        loadedFittedAt.withLock { $0 = fitted?.fittedAt }
        // Loading streamed every raw catalog vector (63 KB each on the 14×14 grid) through the allocator; give
        // those pages back to the system instead of keeping them as the daemon's resident memory.
        PhotoDecoder.releaseFreeMemory()
        return true
    }

    public func makeExtractor() throws -> FeatureExtractor {
        // Local features on demand: photos whose leader is beyond doubt are not verified.
        try FeatureExtractor(package: package, recipe: current?.recipe ?? recipe, localFeatures: false)
    }

    /// Puts an identified sighting into its encounter and returns the encounter's combined call
    /// (nil when encounters are off).
    public func joinEncounter(sightingID: Int64, identified: Identified) throws -> (encounterID: Int64, call: EncounterStore.Call?)? {
        guard let encounters else { return nil }
        return try encounters.join(sightingID: sightingID, ranking: identified.ranking, index: identified.index, topK: topK)
    }

    /// What identifying one photo produced.
    public struct Identified: Sendable {
        public var record: IdentificationRecord
        /// Where the fluke was found (nil: the whole photo).
        public var box: FlukeBox?
        /// The photo's ranking, deeper than the recorded candidates (for its encounter).
        public var ranking: [IndividualScore]
        /// The catalog it was ranked against.
        public var index: CatalogIndex
    }

    /// Identifies a decoded photo and says where the fluke was found (nil box: the whole photo);
    /// nil while there is no catalog to identify against. `fullWidth`: the photo's upright width
    /// at full resolution when `image` is a reduced decode. A photo too poor to identify
    /// (`PhotoUsefulness`) is never called new: it becomes `uncertain`, for a person to decide.
    public func identify(_ image: DecodedImage, extractor: FeatureExtractor, fullWidth: Int? = nil) throws -> Identified? {
        guard let index = current else { return nil }
        let extraction = try extractor.extract(from: image, crop: crop, fullWidth: fullWidth)
        let vector = extraction.vectors[0]
        // Deeper than the recorded candidates only when the photo's encounter will combine it.
        let depth = encounters == nil ? nil : min(index.gallery.individualCount, EncounterIdentifier.candidatesPerPhoto)
        let call = try index.call(extraction, topK: topK, depth: depth, limits: usefulnessLimits)
        let (decision, candidates, problems) = (call.decision, call.candidates, call.problems)
        let best = candidates.first
        var record = IdentificationRecord(
            decision: decision, individual: decision == .new ? nil : best?.individual, score: best.map { Double($0.score) },
            candidates: candidates.map { .init(individual: $0.individual, score: Double($0.score)) },
            modelVersion: featureVersion, feature: vector, crop: crop.rawValue,
            usefulness: extraction.usefulness.score(under: usefulnessLimits), unusableBecause: problems)
        record.localFeatures = call.local?.blob
        return Identified(record: record, box: extraction.box, ranking: call.ranking, index: index)
    }
}
