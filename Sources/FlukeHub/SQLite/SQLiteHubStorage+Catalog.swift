import FlukeAPI
import Foundation
import GRDB

extension SQLiteHubStorage {
    public func changes(after cursor: Int64, limit: Int) async throws -> ChangePage {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT seq, payload FROM catalog_change WHERE seq > ? ORDER BY seq LIMIT ?",
                                        arguments: [cursor, limit + 1])
            let page = try rows.prefix(limit).map(Self.change)
            return ChangePage(changes: page, nextCursor: page.last?.seq ?? cursor, hasMore: rows.count > limit)
        }
    }

    public func candidates(status: CandidateStatus?, after cursor: Int64, limit: Int) async throws -> CandidatePage {
        try await pool.read { db in
            var sql = "SELECT * FROM candidate WHERE seq > ?"
            var args: StatementArguments = [cursor]
            if let status {
                sql += " AND status = ?"
                args += [status.rawValue]
            }
            sql += " ORDER BY seq LIMIT ?"
            args += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: args)
            let page = rows.prefix(limit).map(Self.candidate)
            return CandidatePage(candidates: page, nextCursor: page.last?.seq ?? cursor, hasMore: rows.count > limit)
        }
    }

    /// Look-alikes among open candidates (see `LookAlikeGroups`).
    public func candidateGroups(minSimilarity: Double) async throws -> CandidateGroups {
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM candidate WHERE status = 'open' AND embedding IS NOT NULL ORDER BY seq")
        }
        let vectors: [[Float]?] = rows.map { row in
            guard (row["model_version"] as String?) != nil, let blob = row["embedding"] as Data? else { return nil }
            return LookAlikeGroups.floats(blob)
        }
        return LookAlikeGroups.group(rows.map(Self.candidate), vectors: vectors, minSimilarity: minSimilarity)
    }

    static func change(_ row: Row) throws -> CatalogChange {
        var change = try JSONDecoder().decode(CatalogChange.self, from: Data((row["payload"] as String).utf8))
        change.seq = row["seq"]
        return change
    }

    static func candidate(_ row: Row) -> Candidate {
        Candidate(seq: row["seq"], stationID: row["station"], provisionalID: row["provisional_id"], name: row["name"],
                  sightingID: row["sighting_uuid"], status: CandidateStatus(rawValue: row["status"]) ?? .open,
                  individualID: row["individual_id"], modelVersion: row["model_version"], cropSHA256: row["crop_sha256"],
                  createdAt: row["created_at"])
    }

    /// Appends a change to the catalog's history and returns it with its seq.
    static func record(_ change: CatalogChange.Change, curator: String, _ db: Database) throws -> CatalogChange {
        let at = HubTime.now()
        var entry = CatalogChange(seq: 0, at: at, change: change)
        try db.execute(sql: "INSERT INTO catalog_change (kind, payload, at, curator) VALUES (?, ?, ?, ?)",
                       arguments: [entry.kind.rawValue, String(decoding: try WireCoding.encode(entry), as: UTF8.self), at, curator])
        entry.seq = db.lastInsertedRowID
        return entry
    }
}
