/// Sets the decision thresholds from the catalog alone, before any query has been seen.
///
/// Each catalog photo is asked twice against the rest of the catalog: once as a *known* query
/// (only that photo removed; skipped when its individual has no other photo) and once as a *new*
/// query (its whole individual removed). The new-individual threshold is the one that maximises
/// MAP@5 over these simulated queries (`ThresholdSearch.bestNewThreshold`); the match threshold
/// is the lowest at which at least `matchPrecision` of the simulated queries above it had the
/// right individual first.
///
/// A learned projection must not be fitted on the answers it is then scored on, or every score is
/// optimistic and the threshold lands too high; so when the recipe has a projection it is refitted
/// in folds (see `Validation`), and every simulated query is embedded by a projection that did not
/// see it.
public enum ThresholdCalibration {
    /// How the projection is kept away from the simulated queries.
    public enum Validation: String, Sendable, Hashable, Codable {
        /// k folds over individuals: both kinds of query come from held-out individuals, so the
        /// projection never saw the query's individual at all. k fits. The default: within 0.001–0.005
        /// of the query-tuned threshold on real right whales, where fitting without folds missed by 0.03.
        case individualFolds
        /// New queries from k folds over individuals, known queries from k folds over photos: the
        /// projection saw the individual's other photos (as it does in service) but not the query.
        /// 2k fits. Closer to service conditions, but on real right whales it landed no closer to
        /// the query-tuned threshold than `individualFolds` (both within 0.005).
        case individualAndPhotoFolds
    }

    public struct Parameters: Sendable, Hashable, Codable {
        public var folds: Int
        public var seed: UInt64
        /// Fraction of 'match' calls that must be right in the simulation.
        public var matchPrecision: Double
        public var validation: Validation

        public init(folds: Int = 5, seed: UInt64 = 0, matchPrecision: Double = 0.9,
                    validation: Validation = .individualFolds)
        {
            self.folds = folds
            self.seed = seed
            self.matchPrecision = matchPrecision
            self.validation = validation
        }
    }

    /// A second stage applied to each simulated query's ranking, as the station applies it to
    /// real queries (geometric verification): the first `depth` candidates go in, the re-ranked
    /// list comes out. `apply` gets the query's row in `features` and the candidates, whose
    /// `photoKey` is "#row" of the catalog photo that scored best.
    public struct Reranking {
        public var depth: Int
        /// Photos of each candidate `apply` may compare (its closest first, via `photos`).
        public var photosPerCandidate: Int
        /// `photos`: a candidate's closest catalog photos (keys) for this query, its own photo left out.
        public var apply: (_ queryRow: Int, _ candidates: [IndividualScore],
                           _ photos: (IndividualScore) -> [String]) throws -> [IndividualScore]

        public init(depth: Int, photosPerCandidate: Int = 1,
                    apply: @escaping (_ queryRow: Int, _ candidates: [IndividualScore],
                                      _ photos: (IndividualScore) -> [String]) throws -> [IndividualScore]) {
            self.depth = depth
            self.photosPerCandidate = photosPerCandidate
            self.apply = apply
        }

        /// The catalog row a candidate's `photoKey` names.
        public static func row(of candidate: IndividualScore) -> Int? { row(ofKey: candidate.photoKey) }

        /// The catalog row a photo key (`#12`) names.
        public static func row(ofKey key: String) -> Int? { Int(key.dropFirst()) }
    }

    public struct Result: Sendable, Equatable {
        public var policy: DecisionPolicy
        /// MAP@5 of the simulated queries at the chosen new-individual threshold.
        public var simulatedMAP5: Double
        public var knownQueries: Int
        public var newQueries: Int
        /// The simulated queries themselves (for reports and for `catalog stats`).
        public var outcomes: [QueryOutcome]
    }

    /// Calibrates thresholds for a recipe: raw `features` when `projection` is nil, otherwise
    /// features projected by a projection fitted with those parameters, in folds; individuals
    /// scored with `aggregation`, as the station's gallery will.
    public static func calibrate(features: EmbeddingMatrix, labels: [String], projection: Projection.Parameters?,
                                 aggregation: Gallery.Aggregation = .maximumAndCentroid,
                                 parameters: Parameters = Parameters(),
                                 reranking: Reranking? = nil) throws(CalibrationError) -> Result
    {
        let outcomes = try simulate(features: features, labels: labels, projection: projection,
                                    aggregation: aggregation, parameters: parameters, reranking: reranking)
        let (newThreshold, map5) = ThresholdSearch.bestNewThreshold(outcomes)
        let matchThreshold = ThresholdSearch.matchThreshold(outcomes, newThreshold: newThreshold,
                                                            precision: parameters.matchPrecision)
        let policy: DecisionPolicy
        do {
            policy = try DecisionPolicy(newThreshold: newThreshold, matchThreshold: matchThreshold)
        } catch {
            throw .policy(error)
        }
        let newCount = outcomes.filter { $0.truth == .new }.count
        return Result(policy: policy, simulatedMAP5: map5, knownQueries: outcomes.count - newCount,
                      newQueries: newCount, outcomes: outcomes)
    }

    /// The simulated queries (top-5 candidates each), without choosing thresholds.
    public static func simulate(features: EmbeddingMatrix, labels: [String], projection: Projection.Parameters?,
                                aggregation: Gallery.Aggregation = .maximumAndCentroid,
                                parameters: Parameters = Parameters(),
                                reranking: Reranking? = nil) throws(CalibrationError) -> [QueryOutcome]
    {
        let n = features.count
        guard labels.count == n else { throw .labelsDoNotMatchRows(rows: n, labels: labels.count) }
        guard n > 0 else { throw .nothingToSimulate }
        guard parameters.folds >= 2 else { throw .invalidParameter("folds must be at least 2, got \(parameters.folds)") }
        guard (0...1).contains(parameters.matchPrecision) else {
            throw .invalidParameter("matchPrecision must lie in 0...1, got \(parameters.matchPrecision)")
        }
        var photosOf: [String: Int] = [:]
        for label in labels { photosOf[label, default: 0] += 1 }
        let hasOther = labels.map { photosOf[$0]! >= 2 }
        let keys = (0..<n).map { "#\($0)" }

        guard let projection else {
            let gallery = try makeGallery(features, labels: labels, keys: keys, aggregation: aggregation)
            var out = try ask(gallery, reranking, rows: (0..<n).filter { hasOther[$0] }, labels: labels, keys: keys, asNew: false)
            out += try ask(gallery, reranking, rows: Array(0..<n), labels: labels, keys: keys, asNew: true)
            return out
        }

        guard photosOf.count >= parameters.folds else {
            throw .tooFewIndividuals(have: photosOf.count, folds: parameters.folds)
        }
        let individualFold = foldsByIndividual(labels, folds: parameters.folds, seed: parameters.seed)
        var outcomes: [QueryOutcome] = []
        for k in 0..<parameters.folds {
            let gallery = try foldGallery(features, labels: labels, keys: keys, projection: projection,
                                          aggregation: aggregation, training: { individualFold[$0] != k })
            let held = (0..<n).filter { individualFold[$0] == k }
            outcomes += try ask(gallery, reranking, rows: held, labels: labels, keys: keys, asNew: true)
            if parameters.validation == .individualFolds {
                outcomes += try ask(gallery, reranking, rows: held.filter { hasOther[$0] }, labels: labels, keys: keys,
                                    asNew: false)
            }
        }
        if parameters.validation == .individualAndPhotoFolds {
            let photoFold = foldsByPhoto(n, folds: parameters.folds, seed: parameters.seed)
            for k in 0..<parameters.folds {
                let gallery = try foldGallery(features, labels: labels, keys: keys, projection: projection,
                                              aggregation: aggregation, training: { photoFold[$0] != k })
                let held = (0..<n).filter { photoFold[$0] == k && hasOther[$0] }
                outcomes += try ask(gallery, reranking, rows: held, labels: labels, keys: keys, asNew: false)
            }
        }
        return outcomes
    }

    /// Individuals sorted by UTF-8 bytes, shuffled with SplitMix64(seed); fold = position mod k.
    static func foldsByIndividual(_ labels: [String], folds: Int, seed: UInt64) -> [Int] {
        var individuals = Array(Set(labels)).sorted(by: EvaluationSplit.utf8Precedes)
        var rng = SplitMix64(seed: seed)
        rng.shuffle(&individuals)
        var foldOf: [String: Int] = [:]
        for (i, id) in individuals.enumerated() { foldOf[id] = i % folds }
        return labels.map { foldOf[$0]! }
    }

    /// Rows shuffled with SplitMix64(seed); fold = position mod k.
    static func foldsByPhoto(_ n: Int, folds: Int, seed: UInt64) -> [Int] {
        var rows = Array(0..<n)
        var rng = SplitMix64(seed: seed)
        rng.shuffle(&rows)
        var fold = [Int](repeating: 0, count: n)
        for (i, r) in rows.enumerated() { fold[r] = i % folds }
        return fold
    }

    private static func foldGallery(_ features: EmbeddingMatrix, labels: [String], keys: [String],
                                    projection: Projection.Parameters, aggregation: Gallery.Aggregation,
                                    training: (Int) -> Bool)
        throws(CalibrationError) -> Gallery
    {
        let rows = (0..<features.count).filter(training)
        do {
            let fitted = try Projection.fit(features: features, rows: rows, labels: rows.map { labels[$0] },
                                            parameters: projection)
            return try makeGallery(try fitted.apply(features), labels: labels, keys: keys, aggregation: aggregation)
        } catch let error as ProjectionError {
            throw .projection(error)
        } catch let error as CalibrationError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private static func makeGallery(_ embeddings: EmbeddingMatrix, labels: [String], keys: [String],
                                    aggregation: Gallery.Aggregation) throws(CalibrationError) -> Gallery
    {
        do {
            return try Gallery(embeddings: embeddings, individuals: labels, photoKeys: keys, aggregation: aggregation)
        } catch {
            throw .gallery(error)
        }
    }

    private static func ask(_ gallery: Gallery, _ reranking: Reranking?, rows: [Int], labels: [String], keys: [String],
                            asNew: Bool) throws(CalibrationError) -> [QueryOutcome]
    {
        guard !rows.isEmpty else { return [] }
        let ranked: [[IndividualScore]]
        do {
            ranked = try gallery.rank(queries: gallery.embeddings.selecting(rows: rows), topK: max(5, reranking?.depth ?? 5),
                                      excluding: rows.map { asNew ? .individual(labels[$0]) : .photo(keys[$0]) })
        } catch {
            throw .gallery(error)
        }
        var out: [QueryOutcome] = []
        for (row, candidates) in zip(rows, ranked) {
            var final = candidates
            if let reranking {
                let query = Array(gallery.embeddings.row(row))
                let photos = { (c: IndividualScore) in
                    gallery.bestPhotoKeys(of: c.individual, query: query, count: reranking.photosPerCandidate, excluding: keys[row])
                }
                do { final = try reranking.apply(row, candidates, photos) } catch { throw .reranking("\(error)") }
            }
            out.append(QueryOutcome(truth: asNew ? .new : .known(labels[row]), candidates: Array(final.prefix(5))))
        }
        return out
    }
}
