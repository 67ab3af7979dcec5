import FlukeAPI
import Foundation
import PostgresNIO

extension PostgresHubStorage {
    /// Stores a station's batch in one transaction, with the SQLite backend's semantics: the
    /// same canonical JSON under a held `(station, item_id)` is a duplicate, other JSON a
    /// conflict, and any conflict stores nothing.
    ///
    /// `INSERT … ON CONFLICT DO NOTHING` decides "new or held" atomically: when two replicas
    /// receive the same resent batch at once, the primary key lets exactly one insert each item
    /// and the other then reads it back as a duplicate.
    public func submit(_ batch: Batch, station: String) async throws -> SubmitOutcome {
        let encoded = try batch.items.map { ($0, String(decoding: try WireCoding.encode($0), as: UTF8.self)) }
        do {
            return try await transaction { db in
                // One station's batches are applied one after another across replicas (a lock
                // per station, released at commit): a decision and its sighting arriving in two
                // concurrent transactions would otherwise each miss the other's row.
                try await db.query("SELECT pg_advisory_xact_lock(1, hashtext(\(station)))", logger: logger)
                let now = Date().timeIntervalSince1970
                var results: [BatchResult.ItemResult] = []
                var conflicts: [ItemConflict] = []
                for (item, content) in encoded {
                    let inserted = try await db.rows("""
                        INSERT INTO item (station, item_id, kind, content, received_at)
                        VALUES (\(station), \(item.itemID), \(item.kind.rawValue), \(content), \(now))
                        ON CONFLICT (station, item_id) DO NOTHING RETURNING 1
                        """, logger).isEmpty == false
                    if inserted {
                        results.append(.init(itemID: item.itemID, status: .accepted))
                        if conflicts.isEmpty { try await apply(item, station: station, db) }
                        continue
                    }
                    let held = try await db.rows("SELECT content FROM item WHERE station = \(station) AND item_id = \(item.itemID)", logger)
                    let heldContent = try held.first?["content"].decode(String.self) ?? ""
                    if heldContent == content {
                        results.append(.init(itemID: item.itemID, status: .duplicate))
                    } else {
                        conflicts.append(ItemConflict(itemID: item.itemID, fields: try Self.differingFields(heldContent, content)))
                    }
                }
                // Throwing rolls the whole batch back, the items inserted above included.
                guard conflicts.isEmpty else { throw BatchConflict(conflicts: conflicts) }
                return SubmitOutcome.stored(BatchResult(results: results))
            }
        } catch let conflict as BatchConflict {
            return .conflicts(conflict.conflicts)
        }
    }

    static func differingFields(_ held: String, _ incoming: String) throws -> [String] {
        let decoder = JSONDecoder()
        return JSONValue.differingFields(try decoder.decode(JSONValue.self, from: Data(held.utf8)),
                                         try decoder.decode(JSONValue.self, from: Data(incoming.utf8)))
    }

    /// Files a new item into the tables curators and the catalog read.
    func apply(_ item: SyncItem, station: String, _ db: PostgresConnection) async throws {
        switch item {
        case .sighting(let s):
            // A decision may have arrived before its sighting (byte caps split batches anywhere).
            let latest = try await db.rows("""
                SELECT state, individual_id FROM review_decision WHERE station = \(station) AND sighting_uuid = \(s.itemID)
                ORDER BY arrival DESC LIMIT 1
                """, logger).first
            let embedding = s.embedding.flatMap { Data(base64Encoded: $0.f32leBase64) }
            try await db.query("""
                INSERT INTO sighting (station, uuid, photo_sha256, captured_at, decision, individual_id, model_version, embedding,
                    crop_sha256, review_state, reviewed_individual_id)
                VALUES (\(station), \(s.itemID), \(s.photoSHA256), \(s.capturedAt), \(s.decision.rawValue), \(s.individualID),
                    \(s.embedding?.modelVersion), \(embedding), \(s.cropSHA256), \(try latest?["state"].decode(String.self) ?? "open"),
                    \(try latest?["individual_id"].decode(String?.self)))
                """, logger: logger)
        case .candidate(let c):
            let embedding = c.embedding.flatMap { Data(base64Encoded: $0.f32leBase64) }
            try await db.query("""
                INSERT INTO candidate (station, provisional_id, name, sighting_uuid, created_at, model_version, embedding, crop_sha256)
                VALUES (\(station), \(c.itemID), \(c.name), \(c.sightingID), \(c.createdAt), \(c.embedding?.modelVersion),
                    \(embedding), \(c.cropSHA256))
                """, logger: logger)
        case .reviewDecision(let r):
            try await db.query("""
                INSERT INTO review_decision (station, uuid, sighting_uuid, action, state, individual_id, decided_at)
                VALUES (\(station), \(r.itemID), \(r.sightingID), \(r.action.rawValue), \(r.state.rawValue), \(r.individualID), \(r.decidedAt))
                """, logger: logger)
            // A station's log is sent in order, so the latest arrival is the decision in force.
            try await db.query("""
                UPDATE sighting SET review_state = \(r.state.rawValue), reviewed_individual_id = \(r.individualID)
                WHERE station = \(station) AND uuid = \(r.sightingID)
                """, logger: logger)
            if r.action == .undo, let undone = r.undoes { try await withdrawCandidate(undoneDecision: undone, station: station, db) }
        }
    }

    /// As on SQLite (`SQLiteHubStorage.withdrawCandidate`): a station that undoes its
    /// new-individual decision takes the still-open candidate back; one a curator already
    /// promoted or merged stays.
    func withdrawCandidate(undoneDecision: String, station: String, _ db: PostgresConnection) async throws {
        guard let row = try await db.rows("""
            SELECT individual_id FROM review_decision
            WHERE station = \(station) AND uuid = \(undoneDecision) AND action = 'new-individual'
            """, logger).first, let provisional = try row["individual_id"].decode(String?.self) else { return }
        let reason = "withdrawn: station \(station) undid the new-individual decision \(undoneDecision)"
        try await db.query("""
            UPDATE candidate SET status = 'rejected', reason = \(reason)
            WHERE station = \(station) AND provisional_id = \(provisional) AND status = 'open'
            """, logger: logger)
    }
}
