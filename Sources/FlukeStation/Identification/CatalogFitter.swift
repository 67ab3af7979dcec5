import FlukeMatch
import FlukeVision
import FlukeStore
import Foundation

/// Refits the catalog for one model version from the station's own catalog: the projection on
/// all catalog photos, and the thresholds from leave-one-out / leave-individual-out simulations
/// in cross-validation (ThresholdCalibration), so nothing depends on labelled queries.
public struct CatalogFitter: Sendable {
    let store: CatalogStore

    public init(store: CatalogStore) { self.store = store }

    public struct Summary: Sendable {
        public var fitted: CatalogStore.FittedModel
        public var knownQueries: Int
        public var newQueries: Int
        public var seconds: Double
    }

    public func refit(modelVersion: String, recipe: MatchingRecipe) throws -> Summary {
        let start = Date()
        // Streamed straight into the matrix, sized for every catalog photo up front: the raw vectors
        // (63 KB a photo on the station's 14×14 grid) are held once, not also as rows on the way or
        // twice while a growing buffer is copied.
        let photos = try store.counts().photos
        var matrix: EmbeddingMatrix?
        var labels: [String] = [], ids: [Int64] = []
        try store.forEachFeature(modelVersion: modelVersion) { feature in
            if matrix == nil {
                matrix = EmbeddingMatrix(dimension: feature.vector.count)
                matrix!.reserveCapacity(rows: photos)
            }
            matrix!.append(feature.vector)
            labels.append(feature.individual)
            ids.append(feature.catalogPhotoID)
        }
        guard let matrix else { throw IdentificationError.noCatalog(modelVersion) }
        // Local features are read per simulated comparison rather than all at once: ~19 KB a photo
        // would be 190 MB for a 10 000-photo catalog, too much to hold on a small board during a refit.
        let store = self.store
        let local: LocalFeatureLookup = { row in
            (try? store.localFeatures(catalogPhotoID: ids[row])).flatMap { $0 }.flatMap { try? LocalFeatures(blob: $0) }
        }
        let fit = try Self.fit(matrix, labels: labels, recipe: recipe, localFeatures: local)
        let fitted = CatalogStore.FittedModel(
            modelVersion: modelVersion, recipeJSON: recipe.json, projection: fit.projection.map { Data($0.serialized()) },
            thresholdNew: Double(fit.calibration.policy.newThreshold), thresholdMatch: Double(fit.calibration.policy.matchThreshold),
            simulatedMAP5: fit.calibration.simulatedMAP5, catalogPhotos: labels.count, individuals: Set(labels).count)
        try store.save(fitted)
        return Summary(fitted: fitted, knownQueries: fit.calibration.knownQueries, newQueries: fit.calibration.newQueries,
                       seconds: Date().timeIntervalSince(start))
    }

    /// The projection (when the recipe has one and the catalog can support it) and the calibration.
    public static func fit(_ features: EmbeddingMatrix, labels: [String], recipe: MatchingRecipe,
                           localFeatures: LocalFeatureLookup? = nil) throws
        -> (projection: Projection?, calibration: ThresholdCalibration.Result)
    {
        let projection = try fitProjection(features, labels: labels, recipe: recipe)
        return (projection, try calibrate(features, labels: labels, recipe: recipe, projected: projection != nil,
                                          localFeatures: localFeatures))
    }

    /// LDA needs at least two individuals with two photos each; a smaller catalog is ranked by
    /// raw cosine until it grows.
    static func projectionParameters(labels: [String], recipe: MatchingRecipe) -> Projection.Parameters? {
        let counts = Dictionary(grouping: labels, by: { $0 }).mapValues(\.count)
        return counts.values.filter { $0 >= 2 }.count >= 2 ? recipe.projection : nil
    }

    public static func fitProjection(_ features: EmbeddingMatrix, labels: [String], recipe: MatchingRecipe) throws -> Projection? {
        try projectionParameters(labels: labels, recipe: recipe).map {
            try Projection.fit(features: features, labels: labels, parameters: $0)
        }
    }

    /// Thresholds from the catalog alone, in folds over individuals: five when the catalog has
    /// them, fewer for a young catalog. When the recipe verifies, the simulated queries are
    /// verified too (with `localFeatures`, looked up by catalog row), so the thresholds are on the scale
    /// of the verified scores the station decides on.
    public static func calibrate(_ features: EmbeddingMatrix, labels: [String], recipe: MatchingRecipe,
                                 projected: Bool, localFeatures: LocalFeatureLookup? = nil) throws -> ThresholdCalibration.Result {
        let individuals = Set(labels).count
        guard individuals >= 2 else { throw IdentificationError.catalogTooSmall(individuals: individuals) }
        let reranking = recipe.verification.map {
            LocalFeatureVerifier(parameters: $0).calibrationReranking(localFeatures ?? { _ in nil })
        }
        return try ThresholdCalibration.calibrate(
            features: features, labels: labels, projection: projected ? projectionParameters(labels: labels, recipe: recipe) : nil,
            aggregation: recipe.aggregation, parameters: ThresholdCalibration.Parameters(folds: min(5, individuals)),
            reranking: reranking)
    }
}
