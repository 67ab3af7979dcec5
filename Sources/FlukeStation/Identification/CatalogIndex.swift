import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation

/// The catalog as identification uses it: the fitted projection, the gallery of projected
/// catalog embeddings (one contiguous matrix, ranked with BLAS) and the decision thresholds, for
/// one model version. Immutable: a catalog change builds a new index that replaces the old one
/// without a restart (see `CatalogIndexHolder`).
public struct CatalogIndex: Sendable {
    public let modelVersion: String
    public let recipe: MatchingRecipe
    public let projection: Projection?
    public let gallery: Gallery
    public let policy: DecisionPolicy
    /// What the fit recorded, without the serialized projection (parsed into `projection`; the
    /// bytes would double its memory, 24 MB on the station's recipe).
    public let fitted: CatalogStore.FittedModel
    /// Re-ranks the leaders when the recipe verifies; catalog features are read from the store
    /// per candidate (a few small rows per query) rather than held in memory.
    let verifier: LocalFeatureVerifier?
    /// Which photos skip verification (nil: every one is verified).
    public private(set) var gate: VerificationGate?
    let store: CatalogStore

    /// Builds the index from the store (nil when the catalog has not been fitted for this model).
    /// `gate`: the daemon skips verification for photos beyond doubt; nil verifies every photo.
    public static func load(store: CatalogStore, modelVersion: String, overrides: ThresholdOverrides = .init(),
                            gate: VerificationGate? = .station) throws -> CatalogIndex? {
        guard var fitted = try store.fittedModel(version: modelVersion) else { return nil }
        let recipe = try JSONDecoder().decode(MatchingRecipe.self, from: Data(fitted.recipeJSON.utf8))
        let projection = try fitted.projection.map { try Projection(serialized: [UInt8]($0)) }
        fitted.projection = nil
        var rows: EmbeddingMatrix?
        var individuals: [String] = [], keys: [String] = []
        try store.forEachFeature(modelVersion: modelVersion) { f in
            let embedded = try Self.embed(f.vector, projection)
            if rows == nil { rows = EmbeddingMatrix(dimension: embedded.count) }
            rows!.append(embedded)
            individuals.append(f.individual)
            keys.append("\(f.catalogPhotoID)")
        }
        guard let rows else { return nil }
        let gallery = try Gallery(embeddings: rows, individuals: individuals, photoKeys: keys, aggregation: recipe.aggregation)
        let policy = try DecisionPolicy(newThreshold: Float(overrides.newThreshold ?? fitted.thresholdNew),
                                        matchThreshold: Float(overrides.matchThreshold ?? fitted.thresholdMatch))
        return CatalogIndex(modelVersion: modelVersion, recipe: recipe, projection: projection, gallery: gallery,
                            policy: policy, fitted: fitted, verifier: recipe.verification.map(LocalFeatureVerifier.init),
                            gate: recipe.verification == nil ? nil : gate, store: store)
    }

    /// Ranks the catalog's individuals for one raw feature vector and decides. `local`: the
    /// query crop's local features, for verification (nil: zero inliers everywhere).
    public func identify(_ raw: [Float], topK: Int = 5, local: LocalFeatures? = nil) throws
        -> (decision: SightingDecision, candidates: [IndividualScore])
    {
        let candidates = try rank(raw, topK: topK, local: local)
        return (policy.decide(candidates: candidates), candidates)
    }

    /// A photo's call as the station makes it, for the daemon and `identify` alike: ranked (to
    /// `depth`, at least `topK`) and verified, decided on the first `topK`, and withheld
    /// (`uncertain`) when the photo is unusable under `limits`.
    public struct PhotoCall: Sendable {
        public var decision: SightingDecision
        /// The first `topK` of `ranking`.
        public var candidates: [IndividualScore]
        public var ranking: [IndividualScore]
        /// Why the photo is unusable (empty: usable).
        public var problems: [String]
        /// Whether the leaders were verified (false: the recipe does not verify, or the leader was beyond doubt).
        public var verified: Bool
        /// The query's local features, when its leaders were verified.
        public var local: LocalFeatures?
    }

    public func call(_ extraction: FeatureExtractor.Extraction, topK: Int, depth: Int? = nil,
                     limits: PhotoUsefulness.Limits) throws -> PhotoCall {
        let ranked = try rank(extraction.vectors[0], topK: max(topK, depth ?? topK), local: extraction.localFeatures)
        let candidates = Array(ranked.ranking.prefix(topK))
        let problems = extraction.usefulness.problems(under: limits)
        let decided = policy.decide(candidates: candidates)
        let decision = problems.isEmpty || candidates.isEmpty ? decided : extraction.usefulness.gate(decided, under: limits)
        return PhotoCall(decision: decision, candidates: candidates, ranking: ranked.ranking, problems: problems,
                         verified: ranked.verified, local: ranked.local)
    }

    /// A photo's ranking and what verification used.
    public struct Ranked: Sendable {
        public var ranking: [IndividualScore]
        /// Whether the leaders were verified (false: no verification, or the leader was beyond doubt).
        public var verified: Bool
        /// The query's local features, when they were needed.
        public var local: LocalFeatures?
    }

    /// The first `topK` individuals; when the recipe verifies, the leaders carry their verified
    /// scores (individuals beyond `verification.candidates` keep their global score), unless the
    /// gate finds the leader beyond doubt. `local` makes the query crop's local features (nil:
    /// none, zero inliers everywhere); it is called only when the leaders are verified.
    public func rank(_ raw: [Float], topK: Int, local: () throws -> LocalFeatures?) throws -> Ranked {
        let query = try Self.embed(raw, projection)
        guard let verifier else { return Ranked(ranking: try gallery.rank(query: query, topK: topK), verified: false) }
        let leaders = try gallery.rank(query: query, topK: max(topK, verifier.parameters.candidates))
        if let gate, gate.isBeyondDoubt(leaders, policy: policy) {
            return Ranked(ranking: Array(leaders.prefix(topK)), verified: false)
        }
        let features = try local()
        let photos = verifier.parameters.photosPerCandidate
        let verified = try verifier.rerank(leaders, query: features) { candidate in
            try gallery.bestPhotoKeys(of: candidate.individual, query: query, count: photos).compactMap { key in
                try Int64(key).flatMap { try store.localFeatures(catalogPhotoID: $0) }.map { try LocalFeatures(blob: $0) }
            }
        }
        return Ranked(ranking: Array(GeometricReranking.overlay(leaders, with: verified).prefix(topK)), verified: true,
                      local: features)
    }

    /// `rank` with the query's local features already made.
    public func rank(_ raw: [Float], topK: Int, local: LocalFeatures?) throws -> [IndividualScore] {
        try rank(raw, topK: topK, local: { local }).ranking
    }

    /// The same index verifying every photo's leaders, however far ahead the leader is.
    public func verifyingEveryPhoto() -> CatalogIndex {
        var copy = self
        copy.gate = nil
        return copy
    }

    /// A raw feature vector as the gallery holds it: projected (and normalised) when the catalog
    /// has a projection, else just L2-normalised.
    public static func embed(_ raw: [Float], _ projection: Projection?) throws -> [Float] {
        try projection?.apply(raw) ?? VectorMath.normalized(raw)
    }
}

/// Thresholds from the config, when the operator overrides the calibrated ones.
public struct ThresholdOverrides: Sendable, Equatable {
    public var newThreshold: Double?
    public var matchThreshold: Double?
    public init(newThreshold: Double? = nil, matchThreshold: Double? = nil) {
        self.newThreshold = newThreshold
        self.matchThreshold = matchThreshold
    }
}
