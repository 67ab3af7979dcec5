/// Outcomes read under different new-individual thresholds (one per catalog fit, e.g. one per
/// embedding network) can only be pooled into one `Metrics.report` once they share a threshold.
/// Every metric compares a score with the threshold or with another score of the same query, so
/// moving a query's scores and its threshold by the same amount changes nothing it measures.
extension QueryOutcome {
    /// This outcome with every candidate's score measured from `newThreshold` (score − threshold):
    /// read at threshold 0 it gives what it gave at `newThreshold`. Float subtraction keeps the
    /// sign exactly (x − t is 0 only when x == t), so no call moves.
    public func measured(from newThreshold: Float) -> QueryOutcome {
        var copy = self
        copy.candidates = candidates.map {
            IndividualScore(individual: $0.individual, score: $0.score - newThreshold, photoKey: $0.photoKey)
        }
        return copy
    }
}

extension Metrics {
    /// One report over groups of outcomes, each group read at its own new-individual threshold.
    /// The reported `newThreshold` is 0: the scores are measured from each group's own.
    public static func pooledReport(_ groups: [(outcomes: [QueryOutcome], newThreshold: Float)], cmcDepth: Int = 5) -> MetricsReport {
        let pooled = groups.flatMap { group in group.outcomes.map { $0.measured(from: group.newThreshold) } }
        return report(pooled, newThreshold: 0, cmcDepth: cmcDepth)
    }
}
