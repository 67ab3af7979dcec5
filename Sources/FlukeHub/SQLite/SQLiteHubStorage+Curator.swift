import FlukeAPI
import Foundation
import GRDB

/// Curator actions: each one transaction that changes candidates and individuals and appends
/// the matching catalog changes, so stations learn exactly what the curator did.
extension SQLiteHubStorage {
    public func promote(_ request: PromoteRequest, curator: String) async throws -> CuratorResult {
        try await pool.write { db in
            let rows = try request.candidates.map { try Self.openCandidate($0, db) }
            if let name = request.name,
               let other = try String.fetchOne(db, sql: "SELECT id FROM individual WHERE name = ? COLLATE NOCASE AND merged_into IS NULL",
                                               arguments: [name]) {
                throw StorageError.conflict("the name \"\(name)\" already belongs to \(other); choose another, or merge the candidates into \(other) with merge-candidate")
            }
            let id = try self.nextIndividualID(db)
            try db.execute(sql: "INSERT INTO individual (id, name, created_at) VALUES (?, ?, ?)",
                           arguments: [id, request.name ?? rows.lazy.compactMap { $0["name"] as String? }.first, Date().timeIntervalSince1970])
            var changes = [try Self.record(.individual(id: id, name: try String.fetchOne(db, sql: "SELECT name FROM individual WHERE id = ?", arguments: [id])),
                                           curator: curator, db)]
            for row in rows {
                changes += try Self.assign(row, to: id, status: .promoted, curator: curator, db)
            }
            return CuratorResult(individualID: id, changes: changes)
        }
    }

    public func mergeCandidate(_ request: MergeCandidateRequest, curator: String) async throws -> CuratorResult {
        try await pool.write { db in
            let row = try Self.openCandidate(request.candidate, db)
            let into = try Self.liveIndividual(request.into, db)
            let changes = try Self.assign(row, to: into, status: .merged, curator: curator, db)
            return CuratorResult(individualID: into, changes: changes)
        }
    }

    public func mergeIndividuals(_ request: MergeIndividualsRequest, curator: String) async throws -> CuratorResult {
        try await pool.write { db in
            let from = try Self.liveIndividual(request.from, db)
            let into = try Self.liveIndividual(request.into, db)
            // Earlier merges into `from` follow it, so every merged id points at a live individual.
            try db.execute(sql: "UPDATE individual SET merged_into = ? WHERE id = ? OR merged_into = ?", arguments: [into, from, from])
            try db.execute(sql: "UPDATE candidate SET individual_id = ? WHERE individual_id = ?", arguments: [into, from])
            let change = try Self.record(.merge(from: from, into: into), curator: curator, db)
            return CuratorResult(individualID: into, changes: [change])
        }
    }

    public func reject(_ request: RejectRequest, curator: String) async throws -> CuratorResult {
        try await pool.write { db in
            let row = try Self.openCandidate(request.candidate, db)
            try db.execute(sql: "UPDATE candidate SET status = 'rejected', reason = ? WHERE seq = ?", arguments: [request.reason, row["seq"] as Int64])
            let change = try Self.record(.rejection(stationID: request.candidate.stationID, provisionalID: request.candidate.provisionalID,
                                                    reason: request.reason), curator: curator, db)
            return CuratorResult(individualID: nil, changes: [change])
        }
    }

    // MARK: - Inside the transaction

    static func openCandidate(_ ref: CandidateRef, _ db: Database) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM candidate WHERE station = ? AND provisional_id = ?",
                                         arguments: [ref.stationID, ref.provisionalID]) else {
            throw StorageError.notFound("no candidate \(ref.provisionalID) from station \(ref.stationID); list them with GET /v1/curator/candidates")
        }
        let status: String = row["status"]
        guard status == "open" else {
            let what = (row["individual_id"] as String?).map { "\(status) (individual \($0))" } ?? status
            throw StorageError.conflict("candidate \(ref.provisionalID) from station \(ref.stationID) was already \(what)")
        }
        return row
    }

    /// An individual a candidate can join: one the hub made, or a catalog id a station has
    /// named in a sighting or a decision (stations' imported catalogs share global ids).
    static func liveIndividual(_ id: String, _ db: Database) throws -> String {
        if let row = try Row.fetchOne(db, sql: "SELECT merged_into FROM individual WHERE id = ?", arguments: [id]) {
            if let into = row["merged_into"] as String? {
                throw StorageError.conflict("individual \(id) was merged into \(into); use \(into)")
            }
            return id
        }
        let known = try Bool.fetchOne(db, sql: """
            SELECT 1 FROM sighting WHERE individual_id = ? OR reviewed_individual_id = ?
            UNION ALL SELECT 1 FROM review_decision WHERE individual_id = ? LIMIT 1
            """, arguments: [id, id, id]) == true
        let provisional = try Bool.fetchOne(db, sql: "SELECT 1 FROM candidate WHERE provisional_id = ?", arguments: [id]) == true
        guard known, !provisional else {
            throw StorageError.notFound("no individual \(id) known to the hub (neither made here nor named by a station)")
        }
        try db.execute(sql: "INSERT INTO individual (id, created_at) VALUES (?, ?)", arguments: [id, Date().timeIntervalSince1970])
        return id
    }

    /// A candidate joins an individual: its provisional id is assigned, and its embedding becomes a reference.
    static func assign(_ row: Row, to individual: String, status: CandidateStatus, curator: String, _ db: Database) throws -> [CatalogChange] {
        try db.execute(sql: "UPDATE candidate SET status = ?, individual_id = ? WHERE seq = ?",
                       arguments: [status.rawValue, individual, row["seq"] as Int64])
        var changes = [try record(.assignment(stationID: row["station"], provisionalID: row["provisional_id"], individualID: individual),
                                  curator: curator, db)]
        if let model = row["model_version"] as String?, let blob = row["embedding"] as Data? {
            let embedding = WireEmbedding(modelVersion: model, vector: LookAlikeGroups.floats(blob))
            changes.append(try record(.referenceEmbedding(individualID: individual, embedding: embedding, cropSHA256: row["crop_sha256"]),
                                      curator: curator, db))
        }
        return changes
    }

    func nextIndividualID(_ db: Database) throws -> String {
        var n = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM individual WHERE substr(id, 1, length(?)) = ?",
                                  arguments: [idPrefix, idPrefix]) ?? 0) + 1
        while true {
            let id = idPrefix + String(format: "%05d", n)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM individual WHERE id = ?", arguments: [id]) != true { return id }
            n += 1
        }
    }
}
