import FlukeAPI
import Foundation
import GRDB

extension SQLiteHubStorage {
    /// Stores a station's batch in one transaction. Each item is compared with what the hub
    /// holds under the same `(station, item_id)`: the same canonical JSON is a duplicate, other
    /// JSON a conflict. Any conflict stores nothing, so the station can park that item and
    /// resend the rest without half a batch having taken effect.
    public func submit(_ batch: Batch, station: String) async throws -> SubmitOutcome {
        let encoded = try batch.items.map { ($0, String(decoding: try WireCoding.encode($0), as: UTF8.self)) }
        return try await pool.write { db in
            var results: [BatchResult.ItemResult] = []
            var conflicts: [ItemConflict] = []
            var fresh: [(SyncItem, String)] = []
            for (item, content) in encoded {
                if let held = try String.fetchOne(db, sql: "SELECT content FROM item WHERE station = ? AND item_id = ?",
                                                  arguments: [station, item.itemID]) {
                    if held == content {
                        results.append(.init(itemID: item.itemID, status: .duplicate))
                    } else {
                        conflicts.append(ItemConflict(itemID: item.itemID, fields: try Self.differingFields(held, content)))
                    }
                } else {
                    results.append(.init(itemID: item.itemID, status: .accepted))
                    fresh.append((item, content))
                }
            }
            guard conflicts.isEmpty else { return .conflicts(conflicts) }
            let now = Date().timeIntervalSince1970
            for (item, content) in fresh {
                try db.execute(sql: "INSERT INTO item (station, item_id, kind, content, received_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [station, item.itemID, item.kind.rawValue, content, now])
                try Self.apply(item, station: station, db)
            }
            return .stored(BatchResult(results: results))
        }
    }

    static func differingFields(_ held: String, _ incoming: String) throws -> [String] {
        let decoder = JSONDecoder()
        return JSONValue.differingFields(try decoder.decode(JSONValue.self, from: Data(held.utf8)),
                                         try decoder.decode(JSONValue.self, from: Data(incoming.utf8)))
    }

    /// Files a new item into the tables curators and the catalog read.
    static func apply(_ item: SyncItem, station: String, _ db: Database) throws {
        switch item {
        case .sighting(let s):
            // A decision may have arrived before its sighting (byte caps split batches anywhere).
            let latest = try Row.fetchOne(db, sql: """
                SELECT state, individual_id FROM review_decision WHERE station = ? AND sighting_uuid = ? ORDER BY rowid DESC LIMIT 1
                """, arguments: [station, s.itemID])
            try db.execute(sql: """
                INSERT INTO sighting (station, uuid, photo_sha256, captured_at, decision, individual_id, model_version, embedding,
                    crop_sha256, review_state, reviewed_individual_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [station, s.itemID, s.photoSHA256, s.capturedAt, s.decision.rawValue, s.individualID,
                                 s.embedding?.modelVersion, s.embedding.flatMap { Data(base64Encoded: $0.f32leBase64) },
                                 s.cropSHA256, latest?["state"] ?? "open", latest?["individual_id"] as String?])
        case .candidate(let c):
            try db.execute(sql: """
                INSERT INTO candidate (station, provisional_id, name, sighting_uuid, created_at, model_version, embedding, crop_sha256)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [station, c.itemID, c.name, c.sightingID, c.createdAt, c.embedding?.modelVersion,
                                 c.embedding.flatMap { Data(base64Encoded: $0.f32leBase64) }, c.cropSHA256])
        case .reviewDecision(let r):
            try db.execute(sql: """
                INSERT INTO review_decision (station, uuid, sighting_uuid, action, state, individual_id, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [station, r.itemID, r.sightingID, r.action.rawValue, r.state.rawValue, r.individualID, r.decidedAt])
            // A station's log is sent in order, so the latest arrival is the decision in force.
            try db.execute(sql: "UPDATE sighting SET review_state = ?, reviewed_individual_id = ? WHERE station = ? AND uuid = ?",
                           arguments: [r.state.rawValue, r.individualID, station, r.sightingID])
            if r.action == .undo, let undone = r.undoes { try withdrawCandidate(undoneDecision: undone, station: station, db) }
        }
    }

    /// A station that undoes its new-individual decision takes the candidate back: while the
    /// candidate is still open it leaves the curators' lists (rejected, with the reason). One a
    /// curator already promoted or merged stays as it is: reversing that is a curator's call.
    static func withdrawCandidate(undoneDecision: String, station: String, _ db: Database) throws {
        guard let provisional = try String.fetchOne(db, sql: """
            SELECT individual_id FROM review_decision WHERE station = ? AND uuid = ? AND action = 'new-individual'
            """, arguments: [station, undoneDecision]) else { return }
        try db.execute(sql: "UPDATE candidate SET status = 'rejected', reason = ? WHERE station = ? AND provisional_id = ? AND status = 'open'",
                       arguments: ["withdrawn: station \(station) undid the new-individual decision \(undoneDecision)", station, provisional])
    }
}
