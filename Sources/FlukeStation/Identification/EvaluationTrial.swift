import FlukeCore
import FlukeMatch
import FlukeVision
import Foundation

/// What `Evaluator` extracted from a labelled set: per readable photo, one raw vector per recipe,
/// its usefulness, label and file, and the per-stage timings.
struct ExtractedSet {
    var vectors: [[[Float]]]
    /// Per photo, when the extractor computed them.
    var local: [LocalFeatures?] = []
    var localMs: [Double] = []
    var usefulness: [PhotoUsefulness] = []
    var labels: [String] = []
    var files: [String] = []
    var decodeMs: [Double] = [], cropMs: [Double] = [], embedMs: [Double] = []
    var unreadable = 0
}

/// One recipe evaluated on one split: the projection and thresholds fitted on the catalog part
/// alone (as a station's catalog import does), then every query's full ranking, from which the
/// photo-level and encounter-level metrics are read with or without the usefulness gate.
struct Trial {
    let calibration: ThresholdCalibration.Result
    var policy: DecisionPolicy { calibration.policy }
    let truths: [QueryTruth]
    /// Per query, every catalog individual's score, best first (verified when the recipe verifies).
    private(set) var rankings: [[IndividualScore]]
    /// Per query, the ranking before verification (empty when the recipe does not verify).
    let globalRankings: [[IndividualScore]]
    let fitSeconds: Double
    let calibrateSeconds: Double
    var projectMs: [Double] = []
    var searchMs: [Double] = []
    var verifyMs: [Double] = []

    /// `local`: every photo's local features (needed when the recipe verifies).
    init(recipe: MatchingRecipe, features: [[Float]], local: [LocalFeatures?], labels: [String], split: EvaluationSplit) throws {
        var catalog = EmbeddingMatrix(dimension: features[0].count)
        for r in split.catalogRows { catalog.append(features[r]) }
        let catalogLabels = split.catalogRows.map { labels[$0] }
        var projection: Projection?
        fitSeconds = try Evaluator.milliseconds {
            projection = try CatalogFitter.fitProjection(catalog, labels: catalogLabels, recipe: recipe)
        } / 1000
        var calibrationResult: ThresholdCalibration.Result?
        calibrateSeconds = try Evaluator.milliseconds {
            calibrationResult = try CatalogFitter.calibrate(catalog, labels: catalogLabels, recipe: recipe,
                                                            projected: projection != nil,
                                                            localFeatures: { local.isEmpty ? nil : local[split.catalogRows[$0]] })
        } / 1000
        calibration = calibrationResult!

        var gallery = EmbeddingMatrix(dimension: projection?.outputDimension ?? catalog.dimension)
        for r in split.catalogRows { gallery.append(try CatalogIndex.embed(features[r], projection)) }
        let index = try Gallery(embeddings: gallery, individuals: catalogLabels, photoKeys: split.catalogRows.map(String.init),
                                aggregation: recipe.aggregation)
        var truths: [QueryTruth] = []
        var rankings: [[IndividualScore]] = [], globalRankings: [[IndividualScore]] = []
        for (q, row) in split.queryRows.enumerated() {
            var query: [Float] = []
            projectMs.append(try Evaluator.milliseconds { query = try CatalogIndex.embed(features[row], projection) })
            // The timed search is the daemon's top 5; the full ranking (for encounters) is not timed.
            searchMs.append(try Evaluator.milliseconds { _ = try index.rank(query: query, topK: 5) })
            var all = try index.rank(query: query, topK: index.individualCount)
            if let parameters = recipe.verification {
                let verifier = LocalFeatureVerifier(parameters: parameters)
                var verified: [IndividualScore] = []
                verifyMs.append(try Evaluator.milliseconds {
                    verified = try verifier.rerank(all, query: local.isEmpty ? nil : local[row]) { c in
                        local.isEmpty ? [] : index.bestPhotoKeys(of: c.individual, query: query, count: parameters.photosPerCandidate)
                            .compactMap { Int($0).flatMap { local[$0] } }
                    }
                })
                globalRankings.append(all)
                all = GeometricReranking.overlay(all, with: verified)
            }
            let truth: QueryTruth = split.queryIsNew[q] ? .new : .known(labels[row])
            truths.append(truth)
            rankings.append(all)
        }
        self.truths = truths
        self.rankings = rankings
        self.globalRankings = globalRankings
    }

    /// The same trial as the daemon runs it with `gate` (nil: every query verified): a query
    /// whose global leader is beyond doubt keeps its global ranking, unverified. Also says, per
    /// query, whether it was verified (never, when the recipe does not verify).
    func gated(by gate: VerificationGate?) -> (trial: Trial, verified: [Bool]) {
        guard !globalRankings.isEmpty else { return (self, Array(repeating: false, count: truths.count)) }
        var copy = self
        let verified = globalRankings.map { ranking in gate.map { !$0.isBeyondDoubt(ranking, policy: policy) } ?? true }
        for q in rankings.indices where !verified[q] {
            copy.rankings[q] = globalRankings[q]
        }
        return (copy, verified)
    }

    /// This trial with the queries in `taken` answered by `other` (another recipe's trial of the
    /// same split) instead. Their scores move by the difference of the two new thresholds, so the
    /// one threshold the metrics read calls each query as its own trial's policy would.
    func answering(_ taken: [Int], from other: Trial) -> Trial {
        var copy = self
        let shift = policy.newThreshold - other.policy.newThreshold
        for q in taken {
            copy.rankings[q] = other.rankings[q].map { IndividualScore(individual: $0.individual, score: $0.score + shift, photoKey: $0.photoKey) }
        }
        return copy
    }

    /// Every query as the HTML report shows it (`split`, `labels` and `files` as the trial was made with).
    func evaluatedQueries(split: EvaluationSplit, labels: [String], files: [String]) -> [EvaluatedQuery] {
        split.queryRows.enumerated().map { q, row in
            EvaluatedQuery(file: files[row], truth: split.queryIsNew[q] ? nil : labels[row],
                           candidates: Array(rankings[q].prefix(5)), catalogFile: { files[Int($0) ?? 0] },
                           allScores: rankings[q])
        }
    }

    /// Photo-level metrics; `usable` (per query) turns the usefulness gate on.
    func metrics(usable: [Bool]?) -> MetricsReport {
        Metrics.report(outcomes(usable: usable), newThreshold: policy.newThreshold)
    }

    /// Every query's outcome, in query order.
    func outcomes(usable: [Bool]?) -> [QueryOutcome] {
        truths.indices.map {
            QueryOutcome(truth: truths[$0], candidates: Array(rankings[$0].prefix(5)), mayBeNew: usable?[$0] ?? true)
        }
    }

    /// Encounter-level metrics: each encounter's photos combined into one ranking, called as the
    /// daemon calls it. Unusable photos add no evidence when the gate is on (unless every photo is
    /// unusable: then the encounter is ranked on all of them and may not be called new); photos
    /// that disagree (`EncounterRanking.decide`) may not make it new either.
    func encounterMetrics(_ encounters: [[Int]], usable: [Bool]?) -> MetricsReport {
        Metrics.report(encounterOutcomes(encounters, usable: usable), newThreshold: policy.newThreshold)
    }

    /// Every encounter's outcome, in the order given (see `encounterMetrics`).
    func encounterOutcomes(_ encounters: [[Int]], usable: [Bool]?) -> [QueryOutcome] {
        encounters.map { members -> QueryOutcome in
            let good = members.filter { usable?[$0] ?? true }
            let used = (good.isEmpty ? members : good).map { rankings[$0] }
            let combined = EncounterRanking.combine(used, topK: 5)
            let disagree = EncounterRanking.decide(used, combined: combined, policy: policy) == .uncertain
                && policy.decide(candidates: combined) == .new
            return QueryOutcome(truth: truths[members[0]], candidates: combined, mayBeNew: !good.isEmpty && !disagree)
        }
    }

    func row(_ step: String, usable: [Bool]?, encounters: [[Int]]) -> Evaluator.AblationRow {
        Evaluator.AblationRow(step: step, metrics: metrics(usable: usable),
                              encounterMetrics: encounterMetrics(encounters, usable: usable),
                              thresholdNew: policy.newThreshold)
    }
}
