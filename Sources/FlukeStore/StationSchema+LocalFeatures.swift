import GRDB

extension StationSchema {
    /// Each catalog photo's SIFT features (FlukeVision.LocalFeatures' blob), for geometric
    /// verification. They come from the crop, not from the network, so one row serves every
    /// model version. Catalog photos without a row (reference embeddings sent by the hub come
    /// without a crop to extract from) are verified with zero inliers: their global score stands.
    static func addLocalFeatures(_ db: Database) throws {
        try db.create(table: "local_features") { t in
            t.primaryKey("catalog_photo_id", .integer).references("catalog_photo", onDelete: .cascade)
            t.column("blob", .blob).notNull()
        }
        // A sighting's own, so its encounter can be re-verified against a refitted catalog.
        try db.create(table: "sighting_local_features") { t in
            t.primaryKey("photo_sha256", .text).references("photo")
            t.column("blob", .blob).notNull()
        }
    }
}
