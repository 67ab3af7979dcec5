import GRDB

/// The hub's SQLite schema, as named append-only migrations (like the station's).
enum HubSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-hub", migrate: createHub)
        return m
    }

    static func createHub(_ db: Database) throws {
        // Tokens are kept only as SHA-256: a copy of the database does not let anyone sync.
        try db.create(table: "principal") { t in
            t.column("role", .text).notNull().check(sql: "role IN ('station','curator')")
            t.column("name", .text).notNull()
            t.column("token_sha256", .text).notNull().unique()
            t.column("created_at", .double).notNull()
            t.column("revoked_at", .double)
        }
        // One live principal per role and name; revoked ones stay for the record.
        try db.execute(sql: "CREATE UNIQUE INDEX principal_live ON principal(role, name) WHERE revoked_at IS NULL")

        // Every item a station sent, as received (canonical JSON): what idempotency compares against.
        try db.create(table: "item") { t in
            t.column("station", .text).notNull()
            t.column("item_id", .text).notNull()
            t.column("kind", .text).notNull()
            t.column("content", .text).notNull()
            t.column("received_at", .double).notNull()
            t.primaryKey(["station", "item_id"])
        }
        try db.create(table: "sighting") { t in
            t.column("station", .text).notNull()
            t.column("uuid", .text).notNull()
            t.column("photo_sha256", .text).notNull()
            t.column("captured_at", .text).notNull()
            t.column("decision", .text).notNull()
            t.column("individual_id", .text)                       // machine's best, as the station sent it
            t.column("model_version", .text)
            t.column("embedding", .blob)
            t.column("crop_sha256", .text)
            t.column("review_state", .text).notNull().defaults(to: "open")
            t.column("reviewed_individual_id", .text)              // after the latest decision
            t.primaryKey(["station", "uuid"])
        }
        try db.create(table: "review_decision") { t in
            t.column("station", .text).notNull()
            t.column("uuid", .text).notNull()
            t.column("sighting_uuid", .text).notNull()
            t.column("action", .text).notNull()
            t.column("state", .text).notNull()
            t.column("individual_id", .text)
            t.column("decided_at", .text).notNull()
            t.primaryKey(["station", "uuid"])
        }
        try db.create(table: "individual") { t in
            t.primaryKey("id", .text)
            t.column("name", .text)
            t.column("created_at", .double).notNull()
            t.column("merged_into", .text).references("individual")
        }
        try db.create(table: "candidate") { t in
            t.autoIncrementedPrimaryKey("seq")
            t.column("station", .text).notNull()
            t.column("provisional_id", .text).notNull()
            t.column("name", .text)
            t.column("sighting_uuid", .text).notNull()
            t.column("created_at", .text).notNull()
            t.column("model_version", .text)
            t.column("embedding", .blob)
            t.column("crop_sha256", .text)
            t.column("status", .text).notNull().defaults(to: "open")
                .check(sql: "status IN ('open','promoted','merged','rejected')")
            t.column("individual_id", .text).references("individual")
            t.column("reason", .text)
            t.uniqueKey(["station", "provisional_id"])
        }
        try db.create(index: "candidate_status", on: "candidate", columns: ["status", "seq"])
        try db.create(table: "crop") { t in
            t.primaryKey("sha256", .text)
            t.column("bytes", .blob).notNull()
            t.column("size", .integer).notNull()
            t.column("uploaded_by", .text).notNull()
            t.column("uploaded_at", .double).notNull()
        }
        // The catalog's history, read by stations with a cursor (seq).
        try db.create(table: "catalog_change") { t in
            t.autoIncrementedPrimaryKey("seq")
            t.column("kind", .text).notNull()
            t.column("payload", .text).notNull()                   // CatalogChange JSON (seq filled on read)
            t.column("at", .text).notNull()
            t.column("curator", .text).notNull()
        }
    }
}
