import FlukeCore
import Foundation
import GRDB

/// One decision for a whole encounter: a burst of photos of one fluke-up is one whale, so a
/// reviewer who has looked at the burst decides it once. Each photo still gets its own logged,
/// undoable decision and its own outbox item, exactly as if decided one by one, and all of
/// them are one transaction: the encounter is decided entirely or not at all.
public struct EncounterReviewResult: Sendable, Equatable {
    public var encounterID: Int64
    /// One record per photo decided (or undone), in sighting order.
    public var records: [ReviewDecisionRecord]
    /// Photos of the encounter left as they were: already decided (for a decision), or open with
    /// nothing to undo (for an undo).
    public var untouched: [Int64]
}

extension ReviewLog {
    /// Decides every open photo of the encounter. `.confirm(nil)` takes the encounter's combined
    /// call (its leading candidate), not each photo's own; `.newIndividual` creates one
    /// provisional individual for the whole encounter.
    public func decideEncounter(_ encounterID: Int64, _ verdict: Verdict, reviewer: String,
                                at date: Date = Date()) throws -> EncounterReviewResult {
        guard reviewer != Reviewer.automatic else { throw ReviewError.reservedReviewer(reviewer) }
        let now = date.timeIntervalSince1970
        return try database.pool.write { db in
            let (leader, rows) = try Self.encounter(encounterID, db)
            let open = rows.filter { $0.review.state == .open }
            guard !open.isEmpty else { throw ReviewError.encounterHasNothingOpen(encounter: encounterID) }
            var perPhoto = verdict
            if case .confirm(nil) = verdict {
                guard let leader else { throw ReviewError.noEncounterCandidate(encounter: encounterID) }
                perPhoto = .confirm(individual: leader)
            }
            var records: [ReviewDecisionRecord] = []
            for row in open {
                let record = try decide(row, perPhoto, reviewer: reviewer, auto: false, at: now, db)
                if case .newIndividual = perPhoto, let created = record.createdIndividual {
                    // The first photo created the individual; the others join it.
                    perPhoto = .confirm(individual: created)
                }
                records.append(record)
            }
            return EncounterReviewResult(encounterID: encounterID, records: records,
                                         untouched: rows.filter { $0.review.state != .open }.map(\.id))
        }
    }

    /// Undoes the latest decision in force on every photo of the encounter, which reopens a
    /// burst decided with `decideEncounter`. Photos are undone newest first, so a provisional
    /// individual the encounter created goes with its last photo.
    public func undoEncounter(_ encounterID: Int64, reviewer: String, at date: Date = Date()) throws -> EncounterReviewResult {
        try database.pool.write { db in
            let (_, rows) = try Self.encounter(encounterID, db)
            var records: [ReviewDecisionRecord] = [], untouched: [Int64] = []
            for row in rows.reversed() {
                if let record = try undoLatest(row, reviewer: reviewer, at: date.timeIntervalSince1970, db) {
                    records.append(record)
                } else {
                    untouched.append(row.id)
                }
            }
            guard !records.isEmpty else { throw ReviewError.encounterHasNothingToUndo(encounter: encounterID) }
            return EncounterReviewResult(encounterID: encounterID, records: records.reversed(), untouched: untouched.reversed())
        }
    }

    /// The encounter's leading candidate (its combined call's individual, else its first
    /// candidate) and its photos' sightings in id order.
    private static func encounter(_ id: Int64, _ db: Database) throws -> (leader: String?, rows: [SightingForReview]) {
        guard let row = try Row.fetchOne(db, sql: "SELECT individual_id, candidates_json FROM encounter WHERE id = ?",
                                         arguments: [id]) else { throw ReviewError.unknownEncounter(id) }
        var leader: String? = row["individual_id"]
        if leader == nil, let json: String = row["candidates_json"] {
            leader = try JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data(json.utf8)).first?.individual
        }
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM sighting WHERE encounter_id = ? ORDER BY id", arguments: [id])
            .map(SightingForReview.init(row:))
        return (leader, rows)
    }
}
