import Foundation
import GRDB

/// What re-embedding the catalog for a new model reads and writes. Every catalog embedding keeps
/// its model version; a ranking only ever loads one version (`forEachFeature(modelVersion:)`).
extension CatalogStore {
    /// A catalog photo that has no embedding for the new model yet.
    public struct PhotoToEmbed: Sendable, Equatable {
        public var catalogPhotoID: Int64
        public var individual: String
        public var sha256: String
        public var sourcePath: String
        /// The crop its earlier embedding was made with ("fluke" or "none"), kept for the new one.
        public var crop: String
    }

    /// Catalog photos (of individuals not merged away) with an embedding of another version and
    /// none of `modelVersion`, in catalog order.
    public func photosToEmbed(for modelVersion: String) throws -> [PhotoToEmbed] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.individual_id, c.sha256, c.source_path, MIN(e.crop) AS crop FROM catalog_photo c
                JOIN embedding e ON e.catalog_photo_id = c.id
                JOIN individual i ON i.id = c.individual_id
                WHERE i.merged_into IS NULL
                  AND NOT EXISTS (SELECT 1 FROM embedding n WHERE n.catalog_photo_id = c.id AND n.model_version = ?)
                GROUP BY c.id ORDER BY c.id
                """, arguments: [modelVersion]).map {
                PhotoToEmbed(catalogPhotoID: $0["id"], individual: $0["individual_id"], sha256: $0["sha256"],
                             sourcePath: $0["source_path"], crop: $0["crop"])
            }
        }
    }

    /// Adds the new model's embedding of a catalog photo and counts it, in one transaction.
    public func addEmbedding(_ feature: [Float], for photo: PhotoToEmbed, modelVersion: String,
                             localFeatures: [UInt8]? = nil) throws {
        try database.pool.write { db in
            try insertFeature(db, catalogPhotoID: photo.catalogPhotoID, feature: feature, modelVersion: modelVersion,
                              crop: photo.crop)
            try insertLocalFeatures(db, catalogPhotoID: photo.catalogPhotoID, localFeatures)
            try db.execute(sql: "UPDATE model_change SET done = done + 1 WHERE model_version = ?", arguments: [modelVersion])
        }
    }

    /// Progress of a model change, as `status` shows it.
    public struct ModelChange: Codable, Sendable, Equatable {
        public var modelVersion: String
        public var total: Int
        public var done: Int
        public var failed: Int
        public var startedAt: Double
        public var finishedAt: Double?
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case total, done, failed
            case modelVersion = "model_version", startedAt = "started_at", finishedAt = "finished_at", lastError = "last_error"
        }
    }

    /// Starts (or, after a restart, resumes) the record of a model change with `remaining` photos to go.
    public func beginModelChange(_ modelVersion: String, remaining: Int) throws {
        try database.pool.write { db in
            let already = try Int.fetchOne(db, sql: "SELECT done FROM model_change WHERE model_version = ?", arguments: [modelVersion])
            try db.execute(sql: """
                INSERT INTO model_change (model_version, total, done, failed, started_at) VALUES (?, ?, ?, 0, ?)
                ON CONFLICT(model_version) DO UPDATE SET total = excluded.total, failed = 0, finished_at = NULL, last_error = NULL
                """, arguments: [modelVersion, remaining + (already ?? 0), already ?? 0, Date().timeIntervalSince1970])
        }
    }

    public func recordModelChangeFailure(_ modelVersion: String, _ message: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE model_change SET failed = failed + 1, last_error = ? WHERE model_version = ?",
                           arguments: [message, modelVersion])
        }
    }

    public func finishModelChange(_ modelVersion: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE model_change SET finished_at = ? WHERE model_version = ?",
                           arguments: [Date().timeIntervalSince1970, modelVersion])
        }
    }

    /// The most recently started model change, if any.
    public func latestModelChange() throws -> ModelChange? {
        try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM model_change ORDER BY started_at DESC LIMIT 1").map {
                ModelChange(modelVersion: $0["model_version"], total: $0["total"], done: $0["done"], failed: $0["failed"],
                            startedAt: $0["started_at"], finishedAt: $0["finished_at"], lastError: $0["last_error"])
            }
        }
    }
}
