import FlukeStore

/// Applies the `[review] auto_confirm_above` policy to a sighting just recorded.
///
/// It runs in its own transaction right after the sighting's: if the station stops in between,
/// the sighting simply waits for a person, which is the safe side to fail on.
public struct AutoConfirmer: Sendable {
    let threshold: Double?
    let log: ReviewLog

    public init(policy: ReviewPolicy, database: StationDatabase) {
        threshold = policy.autoConfirmAbove
        log = ReviewLog(database: database)
    }

    /// Confirms the sighting as its matched individual when the policy allows; returns the
    /// logged decision, or nil (policy off, or the sighting needs a person).
    @discardableResult
    public func confirmIfConfident(_ sightingID: Int64) throws -> ReviewDecisionRecord? {
        guard let threshold else { return nil }
        return try log.confirmAutomatically(sightingID: sightingID, scoreAbove: threshold)
    }
}
