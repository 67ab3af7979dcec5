import Foundation
import GRDB

/// The sync outbox entry of a review decision: the decision's uuid is the item id the hub
/// deduplicates on, so a resent batch never counts a decision twice.
enum ReviewOutbox {
    static let kind = "review-decision"

    /// The payload as JSON: written here, read back by `SyncItemBuilder` for the hub.
    struct Payload: Codable {
        struct ProvisionalIndividual: Codable {
            var id: String
            var name: String?
        }

        var decisionUUID: String
        var sightingUUID: String
        var photoSHA256: String
        var action: String
        var reviewer: String
        var decidedAt: String
        var state: String
        var individualID: String?
        var rejectReason: String?
        var autoConfirmed: Bool
        /// The uuid of the decision an undo reverts.
        var undoes: String?
        var provisionalIndividual: ProvisionalIndividual?

        enum CodingKeys: String, CodingKey {
            case action, reviewer, state, undoes
            case decisionUUID = "decision_uuid", sightingUUID = "sighting_uuid", photoSHA256 = "photo_sha256"
            case decidedAt = "decided_at", individualID = "individual_id", rejectReason = "reject_reason"
            case autoConfirmed = "auto_confirmed", provisionalIndividual = "provisional_individual"
        }
    }

    /// Must run inside the decision's own transaction.
    static func enqueue(_ record: ReviewDecisionRecord, sighting: SightingForReview, undoing: ReviewDecisionRecord?,
                        _ db: Database) throws {
        var provisional: Payload.ProvisionalIndividual?
        if let created = record.createdIndividual {
            provisional = .init(id: created, name: try String.fetchOne(db, sql: "SELECT name FROM individual WHERE id = ?",
                                                                       arguments: [created]))
        }
        let payload = Payload(
            decisionUUID: record.uuid, sightingUUID: sighting.uuid, photoSHA256: sighting.photoSHA256,
            action: record.action.rawValue, reviewer: record.reviewer,
            decidedAt: ReviewTime.iso8601(record.decidedAt.timeIntervalSince1970), state: record.after.state.rawValue,
            individualID: record.after.individualID, rejectReason: record.after.rejectReason,
            autoConfirmed: record.after.autoConfirmed, undoes: undoing?.uuid, provisionalIndividual: provisional)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try db.execute(sql: "INSERT INTO sync_outbox (item_id, kind, payload_json, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [record.uuid, kind, String(decoding: try encoder.encode(payload), as: UTF8.self),
                                   record.decidedAt.timeIntervalSince1970])
    }
}
