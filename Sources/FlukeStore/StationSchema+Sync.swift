import GRDB

extension StationSchema {
    /// Sync with the hub. Each outbox row is expanded once into the wire items it stands for
    /// (`sync_item`), stored byte for byte: a resend after a restart is the very same JSON, so the
    /// hub's idempotency holds even if the station's data changed since (a thumbnail removed, a
    /// name edited). Rows and items are acknowledged, never deleted: the outbox is also the record
    /// of what the hub was told.
    static func createSync(_ db: Database) throws {
        try db.alter(table: "sync_outbox") { t in
            t.add(column: "prepared_at", .double)            // expanded into sync_item rows
            t.add(column: "parked_reason", .text)            // the hub refused an item for good: an operator looks
        }
        try db.create(index: "sync_outbox_pending", on: "sync_outbox", columns: ["acknowledged_at", "prepared_at", "id"])
        try db.create(table: "sync_item") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("outbox_id", .integer).notNull().references("sync_outbox", onDelete: .restrict)
            t.column("item_id", .text).notNull().unique()
            t.column("kind", .text).notNull()
            t.column("body", .text).notNull()                // the item's JSON, sent as is every time
            t.column("bytes", .integer).notNull()            // body plus crop: what it costs on the link
            t.column("crop_sha256", .text)
            t.column("crop_path", .text)
            t.column("attempts", .integer).notNull().defaults(to: 0)
            t.column("acknowledged_at", .double)
            t.column("parked_reason", .text)
        }
        try db.create(index: "sync_item_pending", on: "sync_item", columns: ["acknowledged_at", "parked_reason", "id"])
        // Crops the hub confirmed it holds, so a retry does not ask again.
        try db.create(table: "sync_crop") { t in
            t.primaryKey("sha256", .text)
            t.column("uploaded_at", .double).notNull()
        }
        // Cursor into the hub's catalog changes, and what the last rounds did (for `status`).
        try db.create(table: "sync_state") { t in
            t.primaryKey("key", .text)
            t.column("value", .text).notNull()
        }
    }
}
