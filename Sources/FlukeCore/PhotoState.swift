/// Where a photo is in the station's durable queue.
///
/// The only moves are queued → processing → done | failed | quarantined, each in one database
/// transaction; rows left in `processing` by a crash go back to `queued` at start-up.
public enum PhotoState: String, CaseIterable, Sendable, Codable {
    case queued
    case processing
    case done
    case failed
    case quarantined

    /// A final state: the processor will not touch the photo again.
    public var isFinal: Bool {
        switch self {
        case .done, .failed, .quarantined: true
        case .queued, .processing: false
        }
    }
}
