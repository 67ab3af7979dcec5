import Foundation
import GRDB

/// What a station keeps of models it no longer uses. A model change (or switching
/// `fast_embedding`) keeps the earlier version's catalog embeddings and its fitted projection,
/// so switching back is instant; on a small board's card they are dead weight (63 KB a photo and
/// about 24 MB a fit on the station's recipe). Pruning removes them, never leaving a catalog
/// photo without an embedding: a photo the model in use has not embedded (its file changed, or a
/// hub reference without a crop) keeps its older ones, and so does that version's fit.
extension CatalogStore {
    /// One model version other than the one in use, as pruning sees it.
    public struct OtherVersion: Codable, Sendable, Equatable {
        public var modelVersion: String
        /// Catalog embeddings of this version.
        public var embeddings: Int
        /// Of those, the ones whose photo also has an embedding of the model in use.
        public var removable: Int
        /// Bytes of the removable vectors.
        public var removableBytes: Int
        /// Whether this version has a fitted projection and thresholds.
        public var fitted: Bool
        /// Bytes of that fit's projection, removed once none of its embeddings are left.
        public var fitBytes: Int

        /// The fit goes too when every embedding of the version goes.
        public var fitIsRemovable: Bool { fitted && removable == embeddings }
        /// What pruning this version frees: its removable vectors, and its fit when that goes too.
        public var prunableBytes: Int { removableBytes + (fitIsRemovable ? fitBytes : 0) }

        enum CodingKeys: String, CodingKey {
            case embeddings, removable, fitted
            case modelVersion = "model_version", removableBytes = "removable_bytes", fitBytes = "fit_bytes"
        }
    }

    /// Every version with catalog embeddings or a fit, other than `inUse`, in name order.
    public func otherVersions(inUse: String) throws -> [OtherVersion] {
        try database.pool.read { db in try Self.otherVersions(db, inUse: inUse) }
    }

    /// What `prune` removed (or, in a dry run, would remove).
    public struct PruneSummary: Codable, Sendable, Equatable {
        public var modelVersion: String
        public var dryRun: Bool
        public var removedEmbeddings: Int
        public var removedEmbeddingBytes: Int
        /// Versions whose fit was removed (none of their embeddings are left).
        public var removedFits: [String]
        public var removedFitBytes: Int
        /// Embeddings kept because their photo has none of the model in use.
        public var keptEmbeddings: Int

        enum CodingKeys: String, CodingKey {
            case modelVersion = "model_version", dryRun = "dry_run", removedEmbeddings = "removed_embeddings"
            case removedEmbeddingBytes = "removed_embedding_bytes", removedFits = "removed_fits"
            case removedFitBytes = "removed_fit_bytes", keptEmbeddings = "kept_embeddings"
        }
    }

    /// Removes, in one transaction, the catalog embeddings of other versions whose photo has one
    /// of `inUse`, and the fits of versions left with no embeddings. Sightings' embeddings are
    /// untouched (each is synced under the version that made it).
    public func prune(keeping inUse: String, dryRun: Bool) throws -> PruneSummary {
        try database.pool.write { db in
            let others = try Self.otherVersions(db, inUse: inUse)
            let fits = others.filter(\.fitIsRemovable)
            let summary = PruneSummary(
                modelVersion: inUse, dryRun: dryRun,
                removedEmbeddings: others.reduce(0) { $0 + $1.removable },
                removedEmbeddingBytes: others.reduce(0) { $0 + $1.removableBytes },
                removedFits: fits.map(\.modelVersion), removedFitBytes: fits.reduce(0) { $0 + $1.fitBytes },
                keptEmbeddings: others.reduce(0) { $0 + $1.embeddings - $1.removable })
            guard !dryRun else { return summary }
            try db.execute(sql: """
                DELETE FROM embedding WHERE catalog_photo_id IS NOT NULL AND model_version <> ?
                  AND catalog_photo_id IN (SELECT catalog_photo_id FROM embedding WHERE model_version = ? AND catalog_photo_id IS NOT NULL)
                """, arguments: [inUse, inUse])
            for version in summary.removedFits {
                try db.execute(sql: "DELETE FROM catalog_model WHERE model_version = ?", arguments: [version])
            }
            return summary
        }
    }

    static func otherVersions(_ db: Database, inUse: String) throws -> [OtherVersion] {
        var byVersion: [String: OtherVersion] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT e.model_version, COUNT(*) AS n,
                   SUM(c.id IS NOT NULL) AS removable, COALESCE(SUM(CASE WHEN c.id IS NOT NULL THEN LENGTH(e.vector) END), 0) AS bytes
            FROM embedding e
            LEFT JOIN (SELECT DISTINCT catalog_photo_id AS id FROM embedding WHERE model_version = ? AND catalog_photo_id IS NOT NULL) c
              ON c.id = e.catalog_photo_id
            WHERE e.catalog_photo_id IS NOT NULL AND e.model_version <> ?
            GROUP BY e.model_version
            """, arguments: [inUse, inUse]) {
            let version: String = row["model_version"]
            byVersion[version] = OtherVersion(modelVersion: version, embeddings: row["n"], removable: row["removable"],
                                              removableBytes: row["bytes"], fitted: false, fitBytes: 0)
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT model_version, COALESCE(LENGTH(projection), 0) AS bytes FROM catalog_model WHERE model_version <> ?
            """, arguments: [inUse]) {
            let version: String = row["model_version"]
            var entry = byVersion[version] ?? OtherVersion(modelVersion: version, embeddings: 0, removable: 0, removableBytes: 0,
                                                          fitted: false, fitBytes: 0)
            entry.fitted = true
            entry.fitBytes = row["bytes"]
            byVersion[version] = entry
        }
        return byVersion.values.sorted { $0.modelVersion < $1.modelVersion }
    }
}
