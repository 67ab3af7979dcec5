import FlukeMatch
import FlukeVision

/// `flukewatch evaluate --fine-tuned DIR …`: a network fine-tuned on labelled whales, measured on
/// the same split as the station's package, but only ever on whales it never saw.
///
/// Each fine-tuned package lists the individuals it trained on (`TrainedIndividuals`). Every
/// package is fitted and calibrated on the whole catalog part, as a station would, and ranks every
/// query; each query photo (and each encounter) is then scored by the first package that did not
/// train on its individual, and the metrics are read over all of them pooled, each at its own
/// package's thresholds. Two packages trained on complementary halves of a set (tools/train
/// `--half second`) thereby score every query of the whole set, with the catalog at full size.
extension Evaluator {
    public struct FineTunedReport: Codable, Sendable {
        public struct Package: Codable, Sendable {
            public var modelVersion: String
            public var directory: String
            public var trainedIndividuals: Int
            /// Query photos and encounters this package scored (those of whales it never saw).
            public var queries: Int
            public var encounters: Int
            /// Of the photos it scored, those whose leaders were verified under the station's gate.
            public var verifiedQueries: Int
            public var thresholdNew: Float
            public var thresholdMatch: Float
            /// Its own share of the queries, at its own thresholds.
            public var metrics: MetricsReport

            enum CodingKeys: String, CodingKey {
                case directory, queries, encounters, metrics
                case modelVersion = "model_version", trainedIndividuals = "trained_individuals"
                case verifiedQueries = "verified_queries", thresholdNew = "threshold_new", thresholdMatch = "threshold_match"
            }
        }

        public var packages: [Package]
        /// Every query photo, each scored by a package that never saw its whale. The metrics'
        /// `new_threshold` is 0: scores are measured from each package's own threshold.
        public var metrics: MetricsReport
        public var encounterMetrics: MetricsReport

        enum CodingKeys: String, CodingKey {
            case packages, metrics
            case encounterMetrics = "encounter_metrics"
        }
    }

    /// What the station's own pass hands over: the split, the readable photos and their local
    /// features (the same for every network), and the gates it read its metrics with.
    struct SharedTrial {
        var split: EvaluationSplit
        var extracted: ExtractedSet
        var encounters: [[Int]]
        /// Per query, whether the photo is usable; nil when the usefulness gate is off.
        var usable: [Bool]?
        var verificationGate: VerificationGate?
    }

    /// Which fine-tuned package scores each individual's photos: the first that did not train on it.
    struct FineTunedPlan {
        var trained: [TrainedIndividuals]
        var scorer: [String: Int]
    }

    /// The plan for every individual of the set. Any individual may become a query (an unknown
    /// whale's photos all do), so a set that some individual's photos could not be honestly
    /// scored in is refused before a photo is read, naming an example.
    static func plan(individuals: Set<String>, trained: [TrainedIndividuals]) throws -> FineTunedPlan {
        var scorer: [String: Int] = [:]
        for individual in individuals {
            scorer[individual] = trained.firstIndex { !$0.contains(individual) }
        }
        let missed = individuals.subtracting(scorer.keys)
        if let example = missed.sorted().first {
            throw IdentificationError.evaluation(
                "every --fine-tuned package trained on \(missed.count) of the set's individuals (e.g. \(example)); add a package trained without them (tools/train/split.py --half second for the other half, or --folds K --fold I for each fold not yet trained)")
        }
        return FineTunedPlan(trained: trained, scorer: scorer)
    }

    func fineTunedPlan(_ csv: CatalogCSV) throws -> FineTunedPlan? {
        guard !settings.fineTuned.isEmpty else { return nil }
        return try Self.plan(individuals: Set(csv.rows.map(\.individual)),
                             trained: settings.fineTuned.map { try TrainedIndividuals(package: $0) })
    }

    /// Every fine-tuned package's vectors of the set, in `settings.fineTuned`'s order. The photos'
    /// local features do not depend on the network: the station's pass (`station`) made them.
    func extractFineTuned(_ csv: CatalogCSV, matching station: ExtractedSet, progress: (String, Int, Int) -> Void) throws
        -> [ExtractedSet]
    {
        try settings.fineTuned.map { package in
            let extracted = try extractAll(csv, package: package, recipes: fineTunedLayout.recipes, localFeatures: false, progress: progress)
            guard extracted.files == station.files else {
                throw IdentificationError.evaluation(
                    "the fine-tuned package \(package.directory) read a different set of photos than the station's package (\(extracted.files.count) against \(station.files.count)); check the unreadable photos")
            }
            return extracted
        }
    }

    /// `sets`: each package's extracted vectors (`extractFineTuned`), in `settings.fineTuned`'s order.
    func fineTunedReport(plan: FineTunedPlan, sets: [ExtractedSet], shared: SharedTrial, progress: (String, Int, Int) -> Void) throws
        -> FineTunedReport
    {
        let packages = settings.fineTuned
        let trained = plan.trained, scorer = plan.scorer
        let labels = shared.extracted.labels
        let queryIndividual = shared.split.queryRows.map { labels[$0] }

        var photoGroups: [(outcomes: [QueryOutcome], newThreshold: Float)] = []
        var encounterGroups: [(outcomes: [QueryOutcome], newThreshold: Float)] = []
        var reports: [FineTunedReport.Package] = []
        for (p, package) in packages.enumerated() {
            let extracted = sets[p]
            progress("fit", 0, 1)
            let all = try Trial(recipe: settings.recipe, features: fineTunedLayout.stationFeatures(extracted, split: shared.split), local: shared.extracted.local,
                                labels: labels, split: shared.split)
            let (trial, verified) = all.gated(by: shared.verificationGate)
            let mine = queryIndividual.indices.filter { scorer[queryIndividual[$0]] == p }
            let myEncounters = shared.encounters.filter { scorer[queryIndividual[$0[0]]] == p }
            let outcomes = trial.outcomes(usable: shared.usable)
            let photos = mine.map { outcomes[$0] }
            photoGroups.append((photos, trial.policy.newThreshold))
            encounterGroups.append((trial.encounterOutcomes(myEncounters, usable: shared.usable), trial.policy.newThreshold))
            reports.append(FineTunedReport.Package(
                modelVersion: package.version, directory: package.directory, trainedIndividuals: trained[p].ids.count,
                queries: photos.count, encounters: myEncounters.count, verifiedQueries: mine.filter { verified[$0] }.count,
                thresholdNew: trial.policy.newThreshold, thresholdMatch: trial.policy.matchThreshold,
                metrics: Metrics.report(photos, newThreshold: trial.policy.newThreshold)))
        }
        return FineTunedReport(packages: reports, metrics: Metrics.pooledReport(photoGroups),
                               encounterMetrics: Metrics.pooledReport(encounterGroups))
    }

    /// The station's package must not have trained on any whale of the set either (any of them
    /// may become a query); checked before a photo is read.
    func checkNotTrainedOn(_ csv: CatalogCSV) throws {
        let trained = try TrainedIndividuals(package: package)
        let seen = Set(csv.rows.map(\.individual)).filter(trained.contains)
        if let example = seen.sorted().first {
            throw IdentificationError.evaluatedOnTrainedWhales(model: package.version, individuals: seen.count, example: example)
        }
    }
}
