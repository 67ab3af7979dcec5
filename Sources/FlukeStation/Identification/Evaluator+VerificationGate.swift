import FlukeMatch

/// What verifying only while the answer is in doubt (`VerificationGate`) costs and saves: the
/// same split's queries read with the gate at several margins, from the one set of rankings (each
/// query's global and verified ranking are both kept, so no margin needs another run).
extension Evaluator {
    /// One margin of the sweep.
    public struct GateRow: Codable, Sendable {
        /// nil: every query verified (no gate).
        public var margin: Float?
        /// Queries whose leaders were verified, of `queries`.
        public var verifiedQueries: Int
        public var queries: Int
        public var metrics: MetricsReport
        public var encounterMetrics: MetricsReport

        enum CodingKeys: String, CodingKey {
            case margin, queries, metrics
            case verifiedQueries = "verified_queries", encounterMetrics = "encounter_metrics"
        }
    }

    /// The margins measured besides the station's: from the exact bound down to "every matching
    /// leader goes unverified".
    static func sweptMargins(_ parameters: VerificationParameters) -> [Float] {
        let exact = VerificationGate.exact(for: parameters).margin
        return [exact, 0.2, 0.15, 0.1, 0.05, 0].filter { $0 <= exact }
    }

    /// No gate first, then each margin; empty when the recipe does not verify.
    func gateRows(_ verified: Trial, usable: [Bool]?, encounters: [[Int]]) -> [GateRow] {
        guard let parameters = settings.recipe.verification, !verified.globalRankings.isEmpty else { return [] }
        var margins = Self.sweptMargins(parameters)
        if let station = settings.verificationGate?.margin, !margins.contains(station) { margins.append(station) }
        let queries = verified.truths.count
        let all = GateRow(margin: nil, verifiedQueries: queries, queries: queries, metrics: verified.metrics(usable: usable),
                          encounterMetrics: verified.encounterMetrics(encounters, usable: usable))
        return [all] + margins.sorted(by: >).map { margin in
            let (trial, flags) = verified.gated(by: VerificationGate(margin: margin))
            return GateRow(margin: margin, verifiedQueries: flags.filter { $0 }.count, queries: queries, metrics: trial.metrics(usable: usable),
                           encounterMetrics: trial.encounterMetrics(encounters, usable: usable))
        }
    }
}
