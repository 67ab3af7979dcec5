import FlukeAPI
import Foundation
import PostgresNIO

extension PostgresHubStorage {
    public func changes(after cursor: Int64, limit: Int) async throws -> ChangePage {
        try await read { db in
            let rows = try await db.rows("SELECT seq, payload FROM catalog_change WHERE seq > \(cursor) ORDER BY seq LIMIT \(limit + 1)", logger)
            let page = try rows.prefix(limit).map(Self.change)
            return ChangePage(changes: page, nextCursor: page.last?.seq ?? cursor, hasMore: rows.count > limit)
        }
    }

    public func candidates(status: CandidateStatus?, after cursor: Int64, limit: Int) async throws -> CandidatePage {
        try await read { db in
            let rows = try await db.rows("""
                SELECT * FROM candidate WHERE seq > \(cursor) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                ORDER BY seq LIMIT \(limit + 1)
                """, logger)
            let page = try rows.prefix(limit).map { try CandidateRow($0).candidate }
            return CandidatePage(candidates: page, nextCursor: page.last?.seq ?? cursor, hasMore: rows.count > limit)
        }
    }

    /// Look-alikes among open candidates (see `LookAlikeGroups`, shared with SQLite).
    public func candidateGroups(minSimilarity: Double) async throws -> CandidateGroups {
        let rows = try await read { db in
            try await db.rows("SELECT * FROM candidate WHERE status = 'open' AND embedding IS NOT NULL ORDER BY seq", logger).map(CandidateRow.init)
        }
        let vectors = rows.map { row in row.modelVersion == nil ? nil : row.embedding.map(LookAlikeGroups.floats) }
        return LookAlikeGroups.group(rows.map(\.candidate), vectors: vectors, minSimilarity: minSimilarity)
    }

    static func change(_ row: PostgresRandomAccessRow) throws -> CatalogChange {
        var change = try JSONDecoder().decode(CatalogChange.self, from: Data(try row["payload"].decode(String.self).utf8))
        change.seq = try row["seq"].decode(Int64.self)
        return change
    }

    /// Appends a change to the catalog's history and returns it with its seq. Called only under
    /// the catalog lock (see `curatorTransaction`), so seqs become visible in increasing order.
    func record(_ change: CatalogChange.Change, curator: String, _ db: PostgresConnection) async throws -> CatalogChange {
        let at = HubTime.now()
        var entry = CatalogChange(seq: 0, at: at, change: change)
        let payload = String(decoding: try WireCoding.encode(entry), as: UTF8.self)
        let rows = try await db.rows("""
            INSERT INTO catalog_change (kind, payload, at, curator) VALUES (\(entry.kind.rawValue), \(payload), \(at), \(curator)) RETURNING seq
            """, logger)
        entry.seq = try rows[0]["seq"].decode(Int64.self)
        return entry
    }
}

/// A `candidate` row as the curator code needs it.
struct CandidateRow: Sendable {
    var seq: Int64
    var station: String
    var provisionalID: String
    var name: String?
    var sightingID: String
    var status: String
    var individualID: String?
    var modelVersion: String?
    var embedding: Data?
    var cropSHA256: String?
    var createdAt: String

    init(_ row: PostgresRandomAccessRow) throws {
        seq = try row["seq"].decode(Int64.self)
        station = try row["station"].decode(String.self)
        provisionalID = try row["provisional_id"].decode(String.self)
        name = try row["name"].decode(String?.self)
        sightingID = try row["sighting_uuid"].decode(String.self)
        status = try row["status"].decode(String.self)
        individualID = try row["individual_id"].decode(String?.self)
        modelVersion = try row["model_version"].decode(String?.self)
        embedding = try row["embedding"].decode(Data?.self)
        cropSHA256 = try row["crop_sha256"].decode(String?.self)
        createdAt = try row["created_at"].decode(String.self)
    }

    var candidate: Candidate {
        Candidate(seq: seq, stationID: station, provisionalID: provisionalID, name: name, sightingID: sightingID,
                  status: CandidateStatus(rawValue: status) ?? .open, individualID: individualID, modelVersion: modelVersion,
                  cropSHA256: cropSHA256, createdAt: createdAt)
    }
}
