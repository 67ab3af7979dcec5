import GRDB

/// The schema, as named migrations. Append new migrations at the end; never edit a shipped one:
/// stations in the field have already run it.
enum StationSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-intake-queue", migrate: createIntakeQueue)
        m.registerMigration("v2-sightings-catalog-outbox", migrate: createSightingsCatalogOutbox)
        m.registerMigration("v3-catalog-model", migrate: createCatalogModel)
        m.registerMigration("v4-review", migrate: createReviewLog)
        m.registerMigration("v5-sync", migrate: createSync)
        m.registerMigration("v6-file-fingerprint", migrate: addFileFingerprint)
        m.registerMigration("v7-usefulness", migrate: addUsefulness)
        m.registerMigration("v8-encounter-call", migrate: addEncounterCall)
        m.registerMigration("v9-model-change", migrate: addModelChange)
        m.registerMigration("v10-local-features", migrate: addLocalFeatures)
        m.registerMigration("v11-hub-reference-crops", migrate: addHubReferenceCrops)
        return m
    }

    /// Photos (one row per distinct content), the files they were seen as, RAW sidecars, and
    /// files that could not be read at all.
    static func createIntakeQueue(_ db: Database) throws {
        try db.create(table: "photo") { t in
            t.primaryKey("sha256", .text)
            t.column("state", .text).notNull()
                .check(sql: "state IN ('queued','processing','done','failed','quarantined')")
            t.column("format", .text)
            t.column("width", .integer)
            t.column("height", .integer)
            t.column("byte_size", .integer).notNull()
            t.column("first_path", .text).notNull()
            t.column("camera", .text).notNull()
            t.column("captured_at", .text).notNull()            // ISO 8601 with offset
            t.column("captured_epoch", .double).notNull()       // seconds since 1970, UTC
            t.column("capture_time_source", .text).notNull()
                .check(sql: "capture_time_source IN ('exif','file-mtime')")
            t.column("utc_offset_seconds", .integer)
            t.column("latitude", .double)
            t.column("longitude", .double)
            t.column("altitude", .double)
            t.column("camera_make", .text)
            t.column("camera_model", .text)
            t.column("camera_serial", .text)
            t.column("orientation", .integer).notNull().defaults(to: 1)
            t.column("queued_at", .double).notNull()
            t.column("updated_at", .double).notNull()
            t.column("attempts", .integer).notNull().defaults(to: 0)
            t.column("quarantine_code", .text)
            t.column("reason", .text)                           // quarantine or failure, in words
            t.column("sharpness", .double)
            t.column("mean_luminance", .double)
            t.column("clipped_highlights", .double)
            t.column("clipped_shadows", .double)
            t.column("thumbnail_path", .text)
        }
        try db.create(index: "photo_state", on: "photo", columns: ["state", "queued_at"])

        try db.create(table: "photo_file") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("path", .text).notNull()
            t.column("photo_sha256", .text).notNull().references("photo", onDelete: .restrict)
            t.column("camera", .text).notNull()
            t.column("directory", .text).notNull()
            t.column("stem", .text).notNull()
            t.column("byte_size", .integer).notNull()
            t.column("mtime_ns", .integer).notNull()
            t.column("seen_at", .double).notNull()
            t.column("is_duplicate", .boolean).notNull()
            t.uniqueKey(["path", "photo_sha256"])
        }
        try db.create(index: "photo_file_sha", on: "photo_file", columns: ["photo_sha256"])
        try db.create(index: "photo_file_stem", on: "photo_file", columns: ["directory", "stem"])

        try db.create(table: "sidecar") { t in
            t.primaryKey("path", .text)
            t.column("directory", .text).notNull()
            t.column("stem", .text).notNull()
            t.column("format", .text).notNull()
            t.column("byte_size", .integer).notNull()
            t.column("mtime_ns", .integer).notNull()
            t.column("seen_at", .double).notNull()
        }
        try db.create(index: "sidecar_stem", on: "sidecar", columns: ["directory", "stem"])

        try db.create(table: "unreadable_file") { t in
            t.primaryKey("path", .text)
            t.column("camera", .text).notNull()
            t.column("reason", .text).notNull()
            t.column("byte_size", .integer).notNull()
            t.column("mtime_ns", .integer).notNull()
            t.column("seen_at", .double).notNull()
        }
    }

    /// Ready for identification, review and sync: one sighting per processed photo, the catalog
    /// of known individuals with their photos and embeddings, encounters, and the sync outbox.
    static func createSightingsCatalogOutbox(_ db: Database) throws {
        try db.create(table: "individual") { t in
            t.primaryKey("id", .text)                            // global id, or provisional "P-…"
            t.column("name", .text)
            t.column("is_provisional", .boolean).notNull().defaults(to: false)
            t.column("merged_into", .text).references("individual")
            t.column("created_at", .double).notNull()
        }
        try db.create(table: "encounter") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("camera", .text).notNull()
            t.column("started_epoch", .double).notNull()
            t.column("ended_epoch", .double).notNull()
        }
        try db.create(table: "sighting") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("uuid", .text).notNull().unique()          // what the hub deduplicates on
            t.column("photo_sha256", .text).notNull().unique().references("photo", onDelete: .restrict)
            t.column("decision", .text).notNull()
            t.column("individual_id", .text).references("individual")
            t.column("score", .double)
            t.column("candidates_json", .text)
            t.column("model_version", .text)
            t.column("encounter_id", .integer).references("encounter")
            t.column("created_at", .double).notNull()
        }
        try db.create(index: "sighting_created", on: "sighting", columns: ["created_at"])
        try db.create(table: "catalog_photo") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("individual_id", .text).notNull().references("individual")
            t.column("sha256", .text).notNull()
            t.column("source_path", .text).notNull()
            t.column("imported_at", .double).notNull()
            t.uniqueKey(["individual_id", "sha256"])
        }
        try db.create(table: "embedding") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("catalog_photo_id", .integer).references("catalog_photo", onDelete: .cascade)
            t.column("photo_sha256", .text).references("photo")
            t.column("model_version", .text).notNull()
            t.column("dimension", .integer).notNull()
            t.column("vector", .blob).notNull()                  // little-endian Float32
            t.check(sql: "(catalog_photo_id IS NULL) <> (photo_sha256 IS NULL)")
        }
        try db.create(index: "embedding_model", on: "embedding", columns: ["model_version"])
        try db.create(table: "sync_outbox") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("item_id", .text).notNull().unique()       // idempotency key for the hub
            t.column("kind", .text).notNull()
            t.column("payload_json", .text).notNull()
            t.column("created_at", .double).notNull()
            t.column("acknowledged_at", .double)
        }
    }

    /// What identification needs beside the embeddings: how each embedding was made (crop), and
    /// per model version the fitted projection and the calibrated thresholds, so a station can
    /// justify every decision and refit from its own catalog.
    static func createCatalogModel(_ db: Database) throws {
        try db.alter(table: "embedding") { t in
            t.add(column: "crop", .text).notNull().defaults(to: "fluke")
        }
        try db.create(index: "embedding_catalog_photo", on: "embedding", columns: ["catalog_photo_id", "model_version"])
        try db.create(index: "embedding_photo", on: "embedding", columns: ["photo_sha256", "model_version"])
        try db.create(table: "catalog_model") { t in
            t.primaryKey("model_version", .text)
            t.column("recipe", .text).notNull()               // JSON: layer, grid, crop
            t.column("projection", .blob)                     // serialized FlukeMatch.Projection
            t.column("threshold_new", .double).notNull()
            t.column("threshold_match", .double).notNull()
            t.column("simulated_map5", .double)
            t.column("catalog_photos", .integer).notNull()
            t.column("individuals", .integer).notNull()
            t.column("fitted_at", .double).notNull()
        }
    }
}
