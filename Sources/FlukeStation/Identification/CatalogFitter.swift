import FlukeMatch
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

    public func refit(modelVersion: String, recipe: FeatureRecipe) throws -> Summary {
        let start = Date()
        let features = try store.features(modelVersion: modelVersion)
        guard let first = features.first else { throw IdentificationError.noCatalog(modelVersion) }
        var matrix = EmbeddingMatrix(dimension: first.vector.count)
        for f in features { matrix.append(f.vector) }
        let labels = features.map(\.individual)
        let fit = try Self.fit(matrix, labels: labels, recipe: recipe)
        let fitted = CatalogStore.FittedModel(
            modelVersion: modelVersion, recipeJSON: recipe.json, projection: fit.projection.map { Data($0.serialized()) },
            thresholdNew: Double(fit.calibration.policy.newThreshold), thresholdMatch: Double(fit.calibration.policy.matchThreshold),
            simulatedMAP5: fit.calibration.simulatedMAP5, catalogPhotos: features.count, individuals: Set(labels).count)
        try store.save(fitted)
        return Summary(fitted: fitted, knownQueries: fit.calibration.knownQueries, newQueries: fit.calibration.newQueries,
                       seconds: Date().timeIntervalSince(start))
    }

    /// The projection (when the recipe has one and the catalog can support it) and the calibration.
    public static func fit(_ features: EmbeddingMatrix, labels: [String], recipe: FeatureRecipe) throws
        -> (projection: Projection?, calibration: ThresholdCalibration.Result)
    {
        // LDA needs at least two individuals with two photos each; a smaller catalog is ranked by
        // raw cosine until it grows.
        let counts = Dictionary(grouping: labels, by: { $0 }).mapValues(\.count)
        let usable = recipe.project && counts.values.filter { $0 >= 2 }.count >= 2
        let parameters = usable ? recipe.projectionParameters : nil
        let projection = try parameters.map { try Projection.fit(features: features, labels: labels, parameters: $0) }
        // Folds over individuals: five when the catalog has them, fewer for a young catalog.
        guard counts.count >= 2 else { throw IdentificationError.catalogTooSmall(individuals: counts.count) }
        let folds = ThresholdCalibration.Parameters(folds: min(5, counts.count))
        let calibration = try ThresholdCalibration.calibrate(features: features, labels: labels, projection: parameters,
                                                             parameters: folds)
        return (projection, calibration)
    }
}
