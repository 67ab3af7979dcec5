import FlukeAPI
import Foundation
import PostgresNIO

/// Curator actions: each one transaction that changes candidates and individuals and appends
/// the matching catalog changes, so stations learn exactly what the curator did.
extension PostgresHubStorage {
    /// A curator action's transaction, holding the catalog lock until it commits. Curator
    /// actions are rare, and serializing them across replicas keeps two promises the cursor
    /// and the ids depend on: `catalog_change.seq` values commit in the order they were drawn
    /// (a station that read seq 12 can never later miss an 11), and FW-NNNNN ids are dense.
    func curatorTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction { db in
            try await db.query("SELECT pg_advisory_xact_lock(2, 0)", logger: logger)
            return try await body(db)
        }
    }

    public func promote(_ request: PromoteRequest, curator: String) async throws -> CuratorResult {
        try await curatorTransaction { db in
            var rows: [CandidateRow] = []
            for ref in request.candidates { rows.append(try await openCandidate(ref, db)) }
            if let name = request.name,
               let other = try await db.rows("SELECT id FROM individual WHERE lower(name) = lower(\(name)) AND merged_into IS NULL", logger).first {
                let id = try other["id"].decode(String.self)
                throw StorageError.conflict("the name \"\(name)\" already belongs to \(id); choose another, or merge the candidates into \(id) with merge-candidate")
            }
            let id = try await nextIndividualID(db)
            let name = request.name ?? rows.lazy.compactMap(\.name).first
            try await db.query("INSERT INTO individual (id, name, created_at) VALUES (\(id), \(name), \(Date().timeIntervalSince1970))", logger: logger)
            var changes = [try await record(.individual(id: id, name: name), curator: curator, db)]
            for row in rows {
                changes += try await assign(row, to: id, status: .promoted, curator: curator, db)
            }
            return CuratorResult(individualID: id, changes: changes)
        }
    }

    public func mergeCandidate(_ request: MergeCandidateRequest, curator: String) async throws -> CuratorResult {
        try await curatorTransaction { db in
            let row = try await openCandidate(request.candidate, db)
            let into = try await liveIndividual(request.into, db)
            let changes = try await assign(row, to: into, status: .merged, curator: curator, db)
            return CuratorResult(individualID: into, changes: changes)
        }
    }

    public func mergeIndividuals(_ request: MergeIndividualsRequest, curator: String) async throws -> CuratorResult {
        try await curatorTransaction { db in
            let from = try await liveIndividual(request.from, db)
            let into = try await liveIndividual(request.into, db)
            // Earlier merges into `from` follow it, so every merged id points at a live individual.
            try await db.query("UPDATE individual SET merged_into = \(into) WHERE id = \(from) OR merged_into = \(from)", logger: logger)
            try await db.query("UPDATE candidate SET individual_id = \(into) WHERE individual_id = \(from)", logger: logger)
            let change = try await record(.merge(from: from, into: into), curator: curator, db)
            return CuratorResult(individualID: into, changes: [change])
        }
    }

    public func reject(_ request: RejectRequest, curator: String) async throws -> CuratorResult {
        try await curatorTransaction { db in
            let row = try await openCandidate(request.candidate, db)
            try await db.query("UPDATE candidate SET status = 'rejected', reason = \(request.reason) WHERE seq = \(row.seq)", logger: logger)
            let change = try await record(.rejection(stationID: request.candidate.stationID, provisionalID: request.candidate.provisionalID,
                                                     reason: request.reason), curator: curator, db)
            return CuratorResult(individualID: nil, changes: [change])
        }
    }

    // MARK: - Inside the transaction

    func openCandidate(_ ref: CandidateRef, _ db: PostgresConnection) async throws -> CandidateRow {
        guard let found = try await db.rows("""
            SELECT * FROM candidate WHERE station = \(ref.stationID) AND provisional_id = \(ref.provisionalID)
            """, logger).first else {
            throw StorageError.notFound("no candidate \(ref.provisionalID) from station \(ref.stationID); list them with GET /v1/curator/candidates")
        }
        let row = try CandidateRow(found)
        guard row.status == "open" else {
            let what = row.individualID.map { "\(row.status) (individual \($0))" } ?? row.status
            throw StorageError.conflict("candidate \(ref.provisionalID) from station \(ref.stationID) was already \(what)")
        }
        return row
    }

    /// An individual a candidate can join: one the hub made, or a catalog id a station has
    /// named in a sighting or a decision (stations' imported catalogs share global ids).
    func liveIndividual(_ id: String, _ db: PostgresConnection) async throws -> String {
        if let row = try await db.rows("SELECT merged_into FROM individual WHERE id = \(id)", logger).first {
            if let into = try row["merged_into"].decode(String?.self) {
                throw StorageError.conflict("individual \(id) was merged into \(into); use \(into)")
            }
            return id
        }
        let known = try await db.rows("""
            SELECT 1 FROM sighting WHERE individual_id = \(id) OR reviewed_individual_id = \(id)
            UNION ALL SELECT 1 FROM review_decision WHERE individual_id = \(id) LIMIT 1
            """, logger).isEmpty == false
        let provisional = try await db.rows("SELECT 1 FROM candidate WHERE provisional_id = \(id) LIMIT 1", logger).isEmpty == false
        guard known, !provisional else {
            throw StorageError.notFound("no individual \(id) known to the hub (neither made here nor named by a station)")
        }
        try await db.query("INSERT INTO individual (id, created_at) VALUES (\(id), \(Date().timeIntervalSince1970))", logger: logger)
        return id
    }

    /// A candidate joins an individual: its provisional id is assigned, and its embedding becomes a reference.
    func assign(_ row: CandidateRow, to individual: String, status: CandidateStatus, curator: String,
                _ db: PostgresConnection) async throws -> [CatalogChange] {
        try await db.query("UPDATE candidate SET status = \(status.rawValue), individual_id = \(individual) WHERE seq = \(row.seq)", logger: logger)
        var changes = [try await record(.assignment(stationID: row.station, provisionalID: row.provisionalID, individualID: individual),
                                        curator: curator, db)]
        if let model = row.modelVersion, let blob = row.embedding {
            let embedding = WireEmbedding(modelVersion: model, vector: LookAlikeGroups.floats(blob))
            changes.append(try await record(.referenceEmbedding(individualID: individual, embedding: embedding, cropSHA256: row.cropSHA256),
                                            curator: curator, db))
        }
        return changes
    }

    func nextIndividualID(_ db: PostgresConnection) async throws -> String {
        let count = try await db.rows("SELECT COUNT(*) AS n FROM individual WHERE left(id, length(\(idPrefix))) = \(idPrefix)", logger)
        var n = Int(try count[0]["n"].decode(Int64.self)) + 1
        while true {
            let id = idPrefix + String(format: "%05d", n)
            if try await db.rows("SELECT 1 FROM individual WHERE id = \(id)", logger).isEmpty { return id }
            n += 1
        }
    }
}
