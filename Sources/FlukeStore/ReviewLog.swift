import FlukeCore
import Foundation
import GRDB

/// Review decisions on sightings. Each decision (and each undo) is one transaction that changes
/// the sighting, appends to the review log and queues the same fact in the sync outbox, so the
/// hub hears of exactly the decisions the station holds, even across a power cut.
public struct ReviewLog: Sendable {
    /// What a reviewer decided about a sighting.
    public enum Verdict: Sendable, Equatable {
        /// The sighting is of `individual` (an id or a name); nil: of the machine's top candidate.
        case confirm(individual: String?)
        /// A whale the catalog does not know: creates a provisional individual `<idPrefix>0001`, …
        case newIndividual(name: String?, idPrefix: String)
        case reject(reason: String)
    }

    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    /// Records a person's decision on an open sighting, given as `12`, `#12` or its uuid.
    public func decide(_ sighting: String, _ verdict: Verdict, reviewer: String, at date: Date = Date()) throws -> ReviewDecisionRecord {
        guard reviewer != Reviewer.automatic else { throw ReviewError.reservedReviewer(reviewer) }
        return try database.pool.write { db in
            let row = try SightingForReview.find(sighting, in: db)
            return try decide(row, verdict, reviewer: reviewer, auto: false, at: date.timeIntervalSince1970, db)
        }
    }

    /// Confirms a sighting without a person when the machine called it a match with a score above
    /// `threshold`, it is still open and nobody has ever decided on it (so an undone automatic
    /// confirmation is left to people). Returns nil when the policy does not apply.
    public func confirmAutomatically(sightingID: Int64, scoreAbove threshold: Double,
                                     at date: Date = Date()) throws -> ReviewDecisionRecord? {
        try database.pool.write { db in
            let row = try SightingForReview.find("\(sightingID)", in: db)
            guard row.review.state == .open, row.decision == SightingDecision.match.rawValue,
                  let score = row.score, score > threshold, row.review.individualID != nil,
                  try Bool.fetchOne(db, sql: "SELECT 1 FROM review_decision WHERE sighting_id = ?", arguments: [row.id]) != true
            else { return nil }
            return try decide(row, .confirm(individual: nil), reviewer: Reviewer.automatic, auto: true,
                              at: date.timeIntervalSince1970, db)
        }
    }

    /// Reverts the latest decision still in force on a sighting, restoring the state before it.
    /// The undo is itself logged (and sent to the hub); a provisional individual the reverted
    /// decision created is removed again when nothing else refers to it.
    public func undo(_ sighting: String, reviewer: String, at date: Date = Date()) throws -> ReviewDecisionRecord {
        try database.pool.write { db in
            let row = try SightingForReview.find(sighting, in: db)
            guard let record = try undoLatest(row, reviewer: reviewer, at: date.timeIntervalSince1970, db) else {
                throw ReviewError.nothingToUndo(sighting: row.id)
            }
            return record
        }
    }

    /// Every log entry for a sighting, oldest first.
    public func history(_ sighting: String) throws -> [ReviewDecisionRecord] {
        try database.pool.read { db in
            let row = try SightingForReview.find(sighting, in: db)
            return try Row.fetchAll(db, sql: "SELECT * FROM review_decision WHERE sighting_id = ? ORDER BY id",
                                    arguments: [row.id]).map(Self.record)
        }
    }

    // MARK: - Inside the transaction

    /// Reverts the latest decision in force on the sighting; nil when nothing is in force.
    func undoLatest(_ row: SightingForReview, reviewer: String, at now: Double, _ db: Database) throws -> ReviewDecisionRecord? {
        guard let target = try Row.fetchOne(db, sql: """
            SELECT * FROM review_decision d
            WHERE d.sighting_id = ? AND d.action <> 'undo'
              AND NOT EXISTS (SELECT 1 FROM review_decision u WHERE u.undoes_id = d.id)
            ORDER BY d.id DESC LIMIT 1
            """, arguments: [row.id]).map(Self.record) else { return nil }
        try write(target.before, to: row.id, db)
        if let created = target.createdIndividual {
            try db.execute(sql: """
                DELETE FROM individual WHERE id = ? AND is_provisional
                  AND NOT EXISTS (SELECT 1 FROM sighting WHERE individual_id = individual.id)
                  AND NOT EXISTS (SELECT 1 FROM catalog_photo WHERE individual_id = individual.id)
                  AND NOT EXISTS (SELECT 1 FROM individual i WHERE i.merged_into = individual.id)
                """, arguments: [created])
        }
        return try append(sighting: row, action: .undo, reviewer: reviewer, at: now,
                          before: row.review, after: target.before, createdIndividual: nil, undoes: target, db)
    }

    func decide(_ row: SightingForReview, _ verdict: Verdict, reviewer: String, auto: Bool, at now: Double,
                        _ db: Database) throws -> ReviewDecisionRecord {
        guard row.review.state == .open else {
            throw ReviewError.alreadyDecided(sighting: row.id, state: row.review.state, individual: row.review.individualID,
                                             reviewer: row.review.reviewer, at: row.review.reviewedAt)
        }
        var after = SightingReview(state: .confirmed, individualID: nil, reviewer: reviewer, reviewedAt: now, autoConfirmed: auto)
        let action: ReviewAction
        var created: String?
        switch verdict {
        case .confirm(nil):
            guard let top = row.topCandidate else { throw ReviewError.noCandidate(sighting: row.id) }
            after.individualID = top
            action = .confirm
        case .confirm(let text?):
            let chosen = try IndividualLookup.resolve(text, for: row.id, in: db)
            after.individualID = chosen
            action = chosen == row.topCandidate ? .confirm : .reassign
        case .newIndividual(let name, let prefix):
            let id = try IndividualLookup.createProvisional(name: name, idPrefix: prefix, at: now, in: db)
            after.individualID = id
            created = id
            action = .newIndividual
        case .reject(let reason):
            let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw ReviewError.emptyReason }
            after.state = .rejected
            after.rejectReason = trimmed
            action = .reject
        }
        try write(after, to: row.id, db)
        return try append(sighting: row, action: action, reviewer: reviewer, at: now, before: row.review, after: after,
                          createdIndividual: created, undoes: nil, db)
    }

    private func write(_ review: SightingReview, to sightingID: Int64, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE sighting SET review_state = ?, individual_id = ?, reviewed_by = ?, reviewed_at = ?, reject_reason = ?,
                auto_confirmed = ? WHERE id = ?
            """, arguments: [review.state.rawValue, review.individualID, review.reviewer, review.reviewedAt,
                             review.rejectReason, review.autoConfirmed, sightingID])
    }

    private func append(sighting row: SightingForReview, action: ReviewAction, reviewer: String, at now: Double,
                        before: SightingReview, after: SightingReview, createdIndividual: String?,
                        undoes: ReviewDecisionRecord?, _ db: Database) throws -> ReviewDecisionRecord {
        let uuid = UUID().uuidString.lowercased()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try db.execute(sql: """
            INSERT INTO review_decision (uuid, sighting_id, action, reviewer, decided_at, individual_id, reject_reason,
                created_individual_id, undoes_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [uuid, row.id, action.rawValue, reviewer, now, after.individualID, after.rejectReason,
                             createdIndividual, undoes?.id,
                             String(decoding: try encoder.encode(before), as: UTF8.self),
                             String(decoding: try encoder.encode(after), as: UTF8.self)])
        let record = ReviewDecisionRecord(id: db.lastInsertedRowID, uuid: uuid, sightingID: row.id, action: action,
                                          reviewer: reviewer, decidedAt: Date(timeIntervalSince1970: now),
                                          before: before, after: after, createdIndividual: createdIndividual, undoes: undoes?.id)
        try ReviewOutbox.enqueue(record, sighting: row, undoing: undoes, db)
        return record
    }

    static func record(_ row: Row) throws -> ReviewDecisionRecord {
        let decoder = JSONDecoder()
        let before: String = row["before_json"], after: String = row["after_json"]
        return ReviewDecisionRecord(
            id: row["id"], uuid: row["uuid"], sightingID: row["sighting_id"],
            action: ReviewAction(rawValue: row["action"]) ?? .confirm, reviewer: row["reviewer"],
            decidedAt: Date(timeIntervalSince1970: row["decided_at"]),
            before: try decoder.decode(SightingReview.self, from: Data(before.utf8)),
            after: try decoder.decode(SightingReview.self, from: Data(after.utf8)),
            createdIndividual: row["created_individual_id"], undoes: row["undoes_id"])
    }
}
