import Foundation
import GRDB

/// Reference photos the hub sent as embeddings only: the station fetches each one's crop once,
/// so it can verify them geometrically like its own catalog photos and show them on the review page.
extension CatalogStore {
    /// What fetching a hub reference's crop came to.
    public enum HubCropOutcome: String, Sendable {
        case features
        case missing
        case hashMismatch = "hash-mismatch"
        case unreadable
    }

    /// Crops (by sha256) of hub references that have no local features and were never asked
    /// for, oldest reference first.
    public func hubReferenceCropsToFetch(limit: Int) throws -> [String] {
        try database.pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT cp.sha256 FROM catalog_photo cp
                WHERE cp.source_path LIKE 'hub:%' AND length(cp.sha256) = 64
                  AND NOT EXISTS (SELECT 1 FROM local_features l WHERE l.catalog_photo_id = cp.id)
                  AND NOT EXISTS (SELECT 1 FROM hub_reference_crop h WHERE h.sha256 = cp.sha256)
                GROUP BY cp.sha256 ORDER BY MIN(cp.id) LIMIT ?
                """, arguments: [limit])
        }
    }

    /// Records the outcome for a crop, and with `.features` the local features for every hub
    /// reference photo made from it (after a merge one crop can stand for two catalog rows).
    /// Returns how many catalog photos got features.
    @discardableResult
    public func recordHubReferenceCrop(sha256: String, outcome: HubCropOutcome, localFeatures: [UInt8]? = nil,
                                       at date: Date = Date()) throws -> Int {
        try database.pool.write { db in
            var stored = 0
            if outcome == .features, let localFeatures {
                for id in try Int64.fetchAll(db, sql: "SELECT id FROM catalog_photo WHERE sha256 = ? AND source_path LIKE 'hub:%'",
                                             arguments: [sha256]) {
                    try insertLocalFeatures(db, catalogPhotoID: id, localFeatures)
                    stored += db.changesCount
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO hub_reference_crop (sha256, outcome, fetched_at) VALUES (?, ?, ?)",
                           arguments: [sha256, outcome.rawValue, date.timeIntervalSince1970])
            return stored
        }
    }
}
