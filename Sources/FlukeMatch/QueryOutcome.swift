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
    /// False for a photo too poor to support a 'new individual' call (see `PhotoUsefulness`):
    /// whatever its scores, it is never predicted new.
    public var mayBeNew: Bool

    public init(truth: QueryTruth, candidates: [IndividualScore], mayBeNew: Bool = true) {
        self.truth = truth
        self.candidates = candidates
        self.mayBeNew = mayBeNew
    }

    /// Whether the station calls this query new at `newThreshold`.
    public func callsNew(newThreshold: Float) -> Bool {
        mayBeNew && !((candidates.first?.score ?? -.infinity) >= newThreshold)
    }

    /// 1-based rank of the right individual among the candidates; nil when absent or new.
    public var rankOfTruth: Int? {
        guard case .known(let id) = truth else { return nil }
        return candidates.firstIndex { $0.individual == id }.map { $0 + 1 }
    }
}
