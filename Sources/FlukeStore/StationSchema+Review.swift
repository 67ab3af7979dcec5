import GRDB

extension StationSchema {
    /// Review on the boat: each sighting's review state (columns on `sighting`, so listings and
    /// exports need no log replay) and the append-only log of every decision with the state
    /// before and after it, which is what makes every decision undoable and auditable.
    static func createReviewLog(_ db: Database) throws {
        try db.alter(table: "sighting") { t in
            t.add(column: "review_state", .text).notNull().defaults(to: "open")
                .check(sql: "review_state IN ('open','confirmed','rejected')")
            t.add(column: "reviewed_by", .text)
            t.add(column: "reviewed_at", .double)
            t.add(column: "reject_reason", .text)
            t.add(column: "auto_confirmed", .boolean).notNull().defaults(to: false)
        }
        try db.create(index: "sighting_review_state", on: "sighting", columns: ["review_state"])

        try db.create(table: "review_decision") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("uuid", .text).notNull().unique()              // also the outbox item_id
            t.column("sighting_id", .integer).notNull().references("sighting", onDelete: .restrict)
            t.column("action", .text).notNull()
                .check(sql: "action IN ('confirm','reassign','new-individual','reject','undo')")
            t.column("reviewer", .text).notNull()
            t.column("decided_at", .double).notNull()
            t.column("individual_id", .text)                         // after the decision
            t.column("reject_reason", .text)
            t.column("created_individual_id", .text)                 // a provisional individual made by it
            t.column("undoes_id", .integer).unique().references("review_decision")
            t.column("before_json", .text).notNull()                 // SightingReview before
            t.column("after_json", .text).notNull()                  // SightingReview after
        }
        try db.create(index: "review_decision_sighting", on: "review_decision", columns: ["sighting_id", "id"])
        // Append-only: a decision is corrected by a new entry (an undo), never by editing history.
        for (operation, verb) in [("UPDATE", "edited"), ("DELETE", "deleted")] {
            try db.execute(sql: """
                CREATE TRIGGER review_decision_append_only_\(operation.lowercased())
                BEFORE \(operation) ON review_decision
                BEGIN SELECT RAISE(ABORT, 'the review log is append-only: entries cannot be \(verb); undo a decision instead'); END
                """)
        }
    }
}
