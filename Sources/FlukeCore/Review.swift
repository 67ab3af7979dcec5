/// Where a sighting stands with its reviewers. The machine's call (`SightingDecision`) is kept
/// apart from this: a reviewer's verdict never rewrites what the model said.
public enum ReviewState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a person (or for nothing, when nobody has looked yet).
    case open
    /// The sighting is of the individual it now names (by a person, or automatically).
    case confirmed
    /// Not a usable sighting: no fluke in the photo, too blurred, or another reason.
    case rejected
}

/// One entry of the review log: what a reviewer (or the auto-confirm policy) did.
public enum ReviewAction: String, Sendable, Codable, CaseIterable {
    /// The machine's top candidate is right.
    case confirm
    /// Another individual than the machine's top candidate.
    case reassign
    /// A whale the catalog does not know: a provisional individual `P-…` was created for it.
    case newIndividual = "new-individual"
    /// Not usable as a sighting; the reason is logged.
    case reject
    /// Restores the state before the latest decision that is still in force.
    case undo
}

public enum Reviewer {
    /// The name recorded for decisions the auto-confirm policy takes; people may not use it,
    /// so an export can always tell a machine's confirmation from a person's.
    public static let automatic = "auto"
}
