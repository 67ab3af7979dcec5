import FlukeAPI
import Foundation
import GRDB

/// Applies the hub's catalog changes to the station, a page per transaction together with the
/// cursor, so a change is applied exactly once even if the station dies mid-sync.
public struct CatalogChangeApplier: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    /// What a page changed here.
    public struct Applied: Sendable, Equatable {
        public var individuals = 0
        /// Provisional ids of this station that became global ids.
        public var assignments: [String: String] = [:]
        public var merges = 0
        public var references = 0
        public var rejections: [String] = []
        public var total: Int { individuals + assignments.count + merges + references + rejections.count }
        public init() {}
    }

    public func cursor() throws -> Int64 {
        try Int64(SyncOutbox(database: database).state(.catalogCursor) ?? "0") ?? 0
    }

    public func apply(_ page: ChangePage) throws -> Applied {
        try database.pool.write { db in
            let cursor = Int64(try String.fetchOne(db, sql: "SELECT value FROM sync_state WHERE key = ?",
                                                   arguments: [SyncStateKey.catalogCursor.rawValue]) ?? "0") ?? 0
            var applied = Applied()
            for change in page.changes where change.seq > cursor {
                try apply(change, &applied, db)
            }
            try SyncOutbox.set([.catalogCursor: "\(max(cursor, page.nextCursor))"], db)
            return applied
        }
    }

    private func apply(_ change: CatalogChange, _ applied: inout Applied, _ db: Database) throws {
        let now = Date().timeIntervalSince1970
        switch change.change {
        case .individual(let id, let name):
            try ensure(id, name: name, now, db)
            applied.individuals += 1
        case .assignment(_, let provisional, let global):
            // Provisional ids carry their station's id, so only this station's exist here.
            guard try exists(provisional, db) else { return }
            try ensure(global, name: nil, now, db)
            try collapse(provisional, into: global, db)
            applied.assignments[provisional] = global
        case .merge(let from, let into):
            guard try exists(from, db) else { return }
            try ensure(into, name: nil, now, db)
            try collapse(from, into: into, db)
            applied.merges += 1
        case .referenceEmbedding(let individual, let embedding, let crop):
            guard let vector = embedding.vector else { return }
            try ensure(individual, name: nil, now, db)
            let sha = crop ?? "hub-change-\(change.seq)"
            try db.execute(sql: """
                INSERT INTO catalog_photo (individual_id, sha256, source_path, imported_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(individual_id, sha256) DO NOTHING
                """, arguments: [individual, sha, "hub:catalog-change/\(change.seq)", now])
            if db.changesCount > 0 {
                try db.execute(sql: "INSERT INTO embedding (catalog_photo_id, model_version, dimension, vector, crop) VALUES (?, ?, ?, ?, 'fluke')",
                               arguments: [db.lastInsertedRowID, embedding.modelVersion, vector.count, FloatBlob.encode(vector)])
                applied.references += 1
            }
        case .rejection(_, let provisional, _):
            // The sightings keep their provisional id: a person on the boat decides what they are.
            if try exists(provisional, db) { applied.rejections.append(provisional) }
        }
    }

    private func exists(_ id: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM individual WHERE id = ?", arguments: [id]) == true
    }

    private func ensure(_ id: String, name: String?, _ now: Double, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO individual (id, name, is_provisional, created_at) VALUES (?, ?, 0, ?)
            ON CONFLICT(id) DO UPDATE SET name = COALESCE(individual.name, excluded.name)
            """, arguments: [id, name, now])
    }

    /// `from` is the same whale as `into`: every sighting and catalog photo moves to `into`, and
    /// `from` stays only as a pointer (`merged_into`) so old exports and logs still resolve.
    private func collapse(_ from: String, into: String, _ db: Database) throws {
        let name = try String.fetchOne(db, sql: "SELECT name FROM individual WHERE id = ?", arguments: [from])
        try db.execute(sql: "UPDATE sighting SET individual_id = ? WHERE individual_id = ?", arguments: [into, from])
        try db.execute(sql: "UPDATE OR IGNORE catalog_photo SET individual_id = ? WHERE individual_id = ?", arguments: [into, from])
        // What is left is the same photo already catalogued under `into`.
        try db.execute(sql: "DELETE FROM catalog_photo WHERE individual_id = ?", arguments: [from])
        try db.execute(sql: "UPDATE individual SET merged_into = ? WHERE merged_into = ?", arguments: [into, from])
        // The name moves with the whale (names are looked up unmerged-first by reviewers).
        try db.execute(sql: "UPDATE individual SET merged_into = ?, name = NULL WHERE id = ?", arguments: [into, from])
        if let name {
            try db.execute(sql: "UPDATE individual SET name = ? WHERE id = ? AND name IS NULL", arguments: [name, into])
        }
    }
}
