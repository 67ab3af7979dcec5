/// The right answer for an evaluation query.
public enum QueryTruth: Sendable, Hashable, Codable {
    /// The individual is in the catalog under this id.
    case known(String)
    /// The individual is not in the catalog: the right answer is `new_whale`.
    case new
}

/// One evaluated query: its right answer and the gallery's ranked candidates, best first.
public struct QueryOutcome: Sendable, Equatable {
    public var truth: QueryTruth
    public var candidates: [IndividualScore]

    public init(truth: QueryTruth, candidates: [IndividualScore]) {
        self.truth = truth
        self.candidates = candidates
    }

    /// 1-based rank of the right individual among the candidates; nil when absent or new.
    public var rankOfTruth: Int? {
        guard case .known(let id) = truth else { return nil }
        return candidates.firstIndex { $0.individual == id }.map { $0 + 1 }
    }
}
