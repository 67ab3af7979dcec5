import GRDB

extension StationSchema {
    /// What became of each hub reference's crop the station asked the hub for: its local
    /// features are stored (`features`), or why not (`missing` on the hub, `hash-mismatch`,
    /// `unreadable`). A crop is asked for once; a failure is kept so a boat link does not pay
    /// for it again every round.
    static func addHubReferenceCrops(_ db: Database) throws {
        try db.create(table: "hub_reference_crop") { t in
            t.primaryKey("sha256", .text)
            t.column("outcome", .text).notNull()
                .check(sql: "outcome IN ('features', 'missing', 'hash-mismatch', 'unreadable')")
            t.column("fetched_at", .double).notNull()
        }
    }
}
