/// When a photo's geometric verification may be skipped: the global ranking's leader already
/// scores a match and leads the runner-up by more than `margin`. The query's SIFT and the leaders'
/// checks (about a sixth of photo → sighting on one core) are then not computed.
///
/// Verification only adds to scores, at most `VerificationParameters.maximumBonus`, so with the
/// margin at that bound (`exact`) skipping can change neither the leader nor the call: the leader
/// stays above the match threshold and no runner-up can reach it. What it can change is the
/// order of the runners-up (they are not re-ranked) and the leader's shown score (its global one,
/// which the verified one could only raise). A smaller margin skips more photos and may let a
/// verified runner-up overtake; `flukewatch evaluate` measures what each margin costs
/// (`verification_gate` in its JSON).
public struct VerificationGate: Sendable, Hashable, Codable {
    /// A matching leader that leads by more than this, in score, is not verified.
    public var margin: Float

    public init(margin: Float) { self.margin = margin }

    /// The gate that never changes a photo's leader or call.
    public static func exact(for parameters: VerificationParameters) -> VerificationGate {
        VerificationGate(margin: Float(parameters.maximumBonus))
    }

    /// True when verifying `ranked` (the global ranking, best first) is not needed under `policy`.
    public func isBeyondDoubt(_ ranked: [IndividualScore], policy: DecisionPolicy) -> Bool {
        guard let leader = ranked.first, leader.score >= policy.matchThreshold else { return false }
        guard ranked.count > 1 else { return true }
        return leader.score - ranked[1].score > margin
    }
}
