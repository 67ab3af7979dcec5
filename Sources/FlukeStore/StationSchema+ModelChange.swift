import GRDB

extension StationSchema {
    /// Progress of re-embedding the catalog for a newly installed model, one row per model
    /// version, so `flukewatch status` (another process) can show it and a restart resumes it.
    static func addModelChange(_ db: Database) throws {
        try db.create(table: "model_change") { t in
            t.primaryKey("model_version", .text)
            t.column("total", .integer).notNull()
            t.column("done", .integer).notNull()
            t.column("failed", .integer).notNull()
            t.column("started_at", .double).notNull()
            t.column("finished_at", .double)
            t.column("last_error", .text)
        }
    }
}
