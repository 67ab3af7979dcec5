/// What an evaluation measured (see `Metrics`).
public struct MetricsReport: Sendable, Equatable, Codable {
    /// Kaggle MAP@5 over all queries, `new_whale` counting as a label.
    public var map5: Double
    /// MAP@5 over the known queries only (how well known individuals are listed).
    public var map5Known: Double
    /// MAP@5 over the new queries only (how early new_whale is listed for them).
    public var map5New: Double
    /// MAP@5 a policy calling every query new would score (the fraction of new queries): with
    /// many unknown individuals in a split this is high, so read `map5` against it.
    public var map5IfAllNew: Double
    /// Fraction of known queries whose individual is ranked first (new_whale ignored).
    public var top1: Double
    /// Fraction of known queries whose individual is in the first five (new_whale ignored).
    public var top5: Double
    /// Cumulative match characteristic: cmc[k − 1] is the fraction of known queries whose
    /// individual is within the first k candidates.
    public var cmc: [Double]
    /// Of the queries predicted new (best score below the new threshold), the fraction truly new;
    /// 0 when none was predicted new.
    public var newPrecision: Double
    /// Of the truly new queries, the fraction predicted new; 0 when there were none.
    public var newRecall: Double
    public var queries: Int
    public var knownQueries: Int
    public var newQueries: Int
    public var predictedNew: Int
    /// The new-individual threshold the report was computed with.
    public var newThreshold: Float
}
