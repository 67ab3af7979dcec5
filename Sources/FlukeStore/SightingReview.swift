import FlukeCore
import Foundation

/// The part of a sighting that review changes and an undo restores, stored before and after
/// every decision in the review log.
public struct SightingReview: Codable, Sendable, Equatable {
    public var state: ReviewState
    /// The individual the sighting names (the machine's best candidate until someone decides).
    public var individualID: String?
    public var reviewer: String?
    /// Seconds since 1970, UTC.
    public var reviewedAt: Double?
    public var rejectReason: String?
    public var autoConfirmed: Bool

    public init(state: ReviewState, individualID: String?, reviewer: String? = nil, reviewedAt: Double? = nil,
                rejectReason: String? = nil, autoConfirmed: Bool = false) {
        self.state = state
        self.individualID = individualID
        self.reviewer = reviewer
        self.reviewedAt = reviewedAt
        self.rejectReason = rejectReason
        self.autoConfirmed = autoConfirmed
    }

    enum CodingKeys: String, CodingKey {
        case state
        case individualID = "individual_id", reviewer, reviewedAt = "reviewed_at"
        case rejectReason = "reject_reason", autoConfirmed = "auto_confirmed"
    }
}

/// One entry of the review log, as recorded.
public struct ReviewDecisionRecord: Sendable, Equatable {
    public var id: Int64
    /// Also the sync outbox item id the hub deduplicates on.
    public var uuid: String
    public var sightingID: Int64
    public var action: ReviewAction
    public var reviewer: String
    public var decidedAt: Date
    public var before: SightingReview
    public var after: SightingReview
    /// The provisional individual this decision created (`new-individual` only).
    public var createdIndividual: String?
    /// The entry an `undo` reverted.
    public var undoes: Int64?
}

/// Why a review decision was refused, worded for the person at the keyboard.
public enum ReviewError: Error, Equatable, CustomStringConvertible {
    case unknownSighting(String)
    case unknownIndividual(String, sighting: Int64)
    case ambiguousIndividualName(String, ids: [String])
    case nameTaken(String, by: String)
    case alreadyDecided(sighting: Int64, state: ReviewState, individual: String?, reviewer: String?, at: Double?)
    case noCandidate(sighting: Int64)
    case nothingToUndo(sighting: Int64)
    case emptyReason
    case reservedReviewer(String)
    case unknownEncounter(Int64)
    case encounterHasNothingOpen(encounter: Int64)
    case encounterHasNothingToUndo(encounter: Int64)
    case noEncounterCandidate(encounter: Int64)

    public var description: String {
        switch self {
        case .unknownSighting(let ref):
            return "no sighting \(ref) in the station database; `flukewatch review list` shows the open sightings with their numbers"
        case .unknownIndividual(let text, let sighting):
            return "no individual with id or name \"\(text)\" in the station's catalog; check the spelling, or if this is a whale the catalog does not know, run `flukewatch review new \(sighting) --name \"\(text)\"`"
        case .ambiguousIndividualName(let name, let ids):
            return "more than one individual is named \"\(name)\" (\(ids.joined(separator: ", "))); give the id instead"
        case .nameTaken(let name, let other):
            return "the name \"\(name)\" already belongs to individual \(other); choose another name, or confirm the sighting as \(other) with `flukewatch review confirm SIGHTING \(other)`"
        case .alreadyDecided(let sighting, let state, let individual, let reviewer, let at):
            var what = state == .rejected ? "rejected" : "confirmed"
            if state == .confirmed, let individual { what += " as \(individual)" }
            if let reviewer { what += reviewer == Reviewer.automatic ? " automatically" : " by \(reviewer)" }
            if let at { what += " at \(ReviewTime.iso8601(at))" }
            return "sighting #\(sighting) was already \(what); to change it, run `flukewatch review undo \(sighting)` first, then decide again"
        case .noCandidate(let sighting):
            return "sighting #\(sighting) has no candidate to confirm (identification found none); name the individual with `flukewatch review confirm \(sighting) INDIVIDUAL`, or use `flukewatch review new \(sighting)`"
        case .nothingToUndo(let sighting):
            return "sighting #\(sighting) has no decision to undo: it is open and waiting for review"
        case .emptyReason:
            return "a rejection needs a reason: --reason \"no fluke\", --reason unusable, or a few words of your own"
        case .reservedReviewer(let name):
            return "the reviewer name \"\(name)\" is reserved for automatic confirmations; give your own name with --reviewer or [review] reviewer"
        case .unknownEncounter(let id):
            return "no encounter #\(id) in the station database; `flukewatch encounters` lists them with their numbers"
        case .encounterHasNothingOpen(let id):
            return "every photo of encounter #\(id) is already decided; `flukewatch review encounter \(id) --undo` reopens them"
        case .encounterHasNothingToUndo(let id):
            return "no photo of encounter #\(id) has a decision to undo: they are all open and waiting for review"
        case .noEncounterCandidate(let id):
            return "the station has no candidate for encounter #\(id) to confirm; name the individual with `flukewatch review encounter \(id) INDIVIDUAL`, or use --new"
        }
    }
}

/// Review times as operators and the hub read them.
public enum ReviewTime {
    /// ISO 8601 in UTC with a `Z` offset, e.g. 2026-07-14T12:03:09Z.
    public static func iso8601(_ epoch: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: epoch))
    }
}
