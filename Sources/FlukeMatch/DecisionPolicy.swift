import FlukeCore

/// Why thresholds were refused.
public enum DecisionPolicyError: Error, Equatable, CustomStringConvertible {
    case notFinite(newThreshold: Float, matchThreshold: Float)
    case matchBelowNew(newThreshold: Float, matchThreshold: Float)

    public var description: String {
        switch self {
        case .notFinite(let t, let m):
            return "thresholds must be finite numbers (new \(t), match \(m))"
        case .matchBelowNew(let t, let m):
            return "the match threshold (\(m)) must not lie below the new-individual threshold (\(t))"
        }
    }
}

/// Turns the best candidate's score into the station's call on a photo.
///
/// - score ≥ `matchThreshold`: `.match`, confident enough to log the sighting as that individual
///   (a reviewer may still look);
/// - `newThreshold` ≤ score < `matchThreshold`: `.uncertain`, a person must choose;
/// - score < `newThreshold`, or an empty catalog: `.new`, a new-individual candidate.
///
/// `newThreshold` is where `new_whale` enters the top-5 list (the MAP@5-optimal point);
/// `matchThreshold` is where matches reach the calibrated precision. Both come from
/// `ThresholdCalibration` on the station's own catalog and may be overridden in the config.
public struct DecisionPolicy: Sendable, Equatable, Hashable, Codable {
    public let newThreshold: Float
    public let matchThreshold: Float

    public init(newThreshold: Float, matchThreshold: Float) throws(DecisionPolicyError) {
        guard newThreshold.isFinite, matchThreshold.isFinite else {
            throw .notFinite(newThreshold: newThreshold, matchThreshold: matchThreshold)
        }
        guard matchThreshold >= newThreshold else {
            throw .matchBelowNew(newThreshold: newThreshold, matchThreshold: matchThreshold)
        }
        self.newThreshold = newThreshold
        self.matchThreshold = matchThreshold
    }

    private enum CodingKeys: String, CodingKey { case newThreshold, matchThreshold }

    /// Decoding goes through the same checks as `init`, so a hand-edited config cannot smuggle in
    /// a match threshold below the new-individual one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(newThreshold: try c.decode(Float.self, forKey: .newThreshold),
                      matchThreshold: try c.decode(Float.self, forKey: .matchThreshold))
    }

    public func decide(bestScore: Float?) -> SightingDecision {
        guard let s = bestScore, s >= newThreshold else { return .new }
        return s >= matchThreshold ? .match : .uncertain
    }

    public func decide(candidates: [IndividualScore]) -> SightingDecision {
        decide(bestScore: candidates.first?.score)
    }
}
