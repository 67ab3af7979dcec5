import FlukeCore
import Foundation
import GRDB

/// A sighting as a review decision needs it, read inside the decision's transaction.
struct SightingForReview {
    var id: Int64
    var uuid: String
    var photoSHA256: String
    /// The machine's call: match, uncertain, new or awaiting-identification.
    var decision: String
    var score: Double?
    var candidates: [IdentificationRecord.Candidate]
    var review: SightingReview

    /// The machine's best guess on an open sighting: its individual, else the best-ranked
    /// candidate (a `new` call keeps its candidates even though it names none).
    var topCandidate: String? { review.individualID ?? candidates.first?.individual }

    /// Finds a sighting by its number (`12` or `#12`, as listings print it) or its uuid.
    static func find(_ reference: String, in db: Database) throws -> SightingForReview {
        let text = reference.trimmingCharacters(in: .whitespaces)
        let row: Row?
        if let number = Int64(text.hasPrefix("#") ? String(text.dropFirst()) : text) {
            row = try Row.fetchOne(db, sql: "SELECT * FROM sighting WHERE id = ?", arguments: [number])
        } else {
            row = try Row.fetchOne(db, sql: "SELECT * FROM sighting WHERE uuid = ?", arguments: [text.lowercased()])
        }
        guard let row else { throw ReviewError.unknownSighting(text.hasPrefix("#") || Int64(text) == nil ? text : "#\(text)") }
        return try SightingForReview(row: row)
    }

    init(row: Row) throws {
        id = row["id"]
        uuid = row["uuid"]
        photoSHA256 = row["photo_sha256"]
        decision = row["decision"]
        score = row["score"]
        if let json: String = row["candidates_json"] {
            candidates = try JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data(json.utf8))
        } else {
            candidates = []
        }
        review = SightingReview(state: ReviewState(rawValue: row["review_state"]) ?? .open, individualID: row["individual_id"],
                                reviewer: row["reviewed_by"], reviewedAt: row["reviewed_at"],
                                rejectReason: row["reject_reason"], autoConfirmed: row["auto_confirmed"])
    }
}

/// Individuals as reviewers name them: by id, or by name when that is unambiguous.
enum IndividualLookup {
    static func resolve(_ text: String, for sighting: Int64, in db: Database) throws -> String {
        let wanted = text.trimmingCharacters(in: .whitespaces)
        if let id = try String.fetchOne(db, sql: "SELECT id FROM individual WHERE id = ?", arguments: [wanted]) {
            return id
        }
        let byName = try String.fetchAll(db, sql: """
            SELECT id FROM individual WHERE name = ? COLLATE NOCASE AND merged_into IS NULL ORDER BY id
            """, arguments: [wanted])
        switch byName.count {
        case 0: throw ReviewError.unknownIndividual(wanted, sighting: sighting)
        case 1: return byName[0]
        default: throw ReviewError.ambiguousIndividualName(wanted, ids: byName)
        }
    }

    /// Creates the next provisional individual `<prefix>0001`, `<prefix>0002`, … (the hub later
    /// gives it a global id). A name already in use is refused: names must keep resolving.
    static func createProvisional(name: String?, idPrefix: String, at now: Double, in db: Database) throws -> String {
        let name = name?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if let name, let other = try String.fetchOne(db, sql: "SELECT id FROM individual WHERE name = ? COLLATE NOCASE OR id = ?",
                                                      arguments: [name, name]) {
            throw ReviewError.nameTaken(name, by: other)
        }
        // Ids already handed out count too, even if an undo removed the individual since: the
        // hub may have heard of it, so an id never names two different whales.
        let existing = try String.fetchAll(db, sql: """
            SELECT id FROM individual WHERE substr(id, 1, length(?)) = ?
            UNION SELECT created_individual_id FROM review_decision WHERE substr(created_individual_id, 1, length(?)) = ?
            """, arguments: [idPrefix, idPrefix, idPrefix, idPrefix])
        let highest = existing.compactMap { Int($0.dropFirst(idPrefix.count)) }.max() ?? 0
        let id = idPrefix + String(format: "%04d", highest + 1)
        try db.execute(sql: "INSERT INTO individual (id, name, is_provisional, created_at) VALUES (?, ?, 1, ?)",
                       arguments: [id, name, now])
        return id
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
