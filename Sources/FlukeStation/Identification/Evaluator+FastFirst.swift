import FlukeMatch

/// `evaluate --fast-first`: would one network run do for the photos it is sure about? Each query
/// is first answered from the crop's run alone (the recipe `withoutViews`, its own projection
/// and thresholds, verified under the station's gate); only when that answer is in doubt would
/// the four views be run and the station's answer taken. Read from the one extraction (the
/// crop's look is part of every five-look run), at several margins, so the cost in accuracy can
/// be set against the share of photos that skip four of their five runs.
extension Evaluator {
    /// One pair of margins of the sweep.
    public struct FastFirstRow: Codable, Sendable {
        /// A one-run answer stands when its leader is a match ahead of the runner-up by more than this…
        public var matchMargin: Float
        /// …or scores under the new threshold by more than this (nil: a "new" answer never stands,
        /// only clear matches do).
        public var newMargin: Float?
        /// Query photos answered from one run, of `queries`.
        public var oneRunQueries: Int
        public var queries: Int
        /// Of those, photos of catalogued whales, of `knownQueries`: the share a station whose
        /// photos are mostly of known whales would answer from one run.
        public var oneRunKnownQueries: Int
        public var knownQueries: Int
        /// Network runs per photo, on average (the crop's run is kept when the views follow).
        public var meanRuns: Double
        public var metrics: MetricsReport

        enum CodingKeys: String, CodingKey {
            case queries, metrics
            case matchMargin = "match_margin", newMargin = "new_margin", oneRunQueries = "one_run_queries", meanRuns = "mean_runs"
            case oneRunKnownQueries = "one_run_known_queries", knownQueries = "known_queries"
        }

        /// As synthesized, except that a missing new margin is written as null, not left out.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(matchMargin, forKey: .matchMargin)
            try c.encode(newMargin, forKey: .newMargin)
            try c.encode(oneRunQueries, forKey: .oneRunQueries)
            try c.encode(queries, forKey: .queries)
            try c.encode(oneRunKnownQueries, forKey: .oneRunKnownQueries)
            try c.encode(knownQueries, forKey: .knownQueries)
            try c.encode(meanRuns, forKey: .meanRuns)
            try c.encode(metrics, forKey: .metrics)
        }
    }

    /// Both kinds of answer may stand, at widening margins; then clear matches only (a field
    /// station's photos are mostly of whales it knows, so that share is what its median sees).
    public static let fastFirstMargins: [(match: Float, new: Float?)] = [
        (0.05, 0.05), (0.1, 0.05), (0.1, 0.1), (0.15, 0.1), (0.2, 0.1), (0.2, 0.15), (0.3, 0.2),
        (0.05, nil), (0.1, nil), (0.15, nil), (0.2, nil),
    ]

    /// Whether the fast trial's answer to a query stands without the views.
    static func fastAnswerStands(_ ranking: [IndividualScore], policy: DecisionPolicy, match: Float, new: Float?) -> Bool {
        guard let leader = ranking.first else { return false }
        if let new, leader.score < policy.newThreshold - new { return true }
        guard leader.score >= policy.matchThreshold else { return false }
        return ranking.count < 2 || leader.score - ranking[1].score > match
    }

    /// `station`: the station's trial as the daemon runs it; `fast`: the one-run recipe's, gated alike.
    func fastFirstRows(station: Trial, fast: Trial, usable: [Bool]?) -> [FastFirstRow] {
        let views = Double(settings.recipe.extraViews.count)
        let queries = station.truths.count
        let isKnown = station.truths.map { $0 != .new }
        let knownQueries = isKnown.filter { $0 }.count
        return Self.fastFirstMargins.map { margins in
            let taken = fast.truths.indices.filter {
                Self.fastAnswerStands(fast.rankings[$0], policy: fast.policy, match: margins.match, new: margins.new)
            }
            return FastFirstRow(matchMargin: margins.match, newMargin: margins.new, oneRunQueries: taken.count, queries: queries,
                                oneRunKnownQueries: taken.filter { isKnown[$0] }.count, knownQueries: knownQueries,
                                meanRuns: 1 + views * Double(queries - taken.count) / Double(max(queries, 1)),
                                metrics: station.answering(taken, from: fast).metrics(usable: usable))
        }
    }
}
