import GRDB

extension StationSchema {
    /// The station's one call per encounter (a camera's photos taken less than the configured gap
    /// apart): every identified photo's evidence combined. Each photo keeps its own sighting and
    /// its own call; the encounter's call is what a reviewer decides on first.
    static func addEncounterCall(_ db: Database) throws {
        try db.alter(table: "encounter") { t in
            t.add(column: "decision", .text)
            t.add(column: "individual_id", .text)
            t.add(column: "score", .double)
            t.add(column: "candidates_json", .text)
            t.add(column: "photos", .integer).notNull().defaults(to: 0)
            t.add(column: "usable_photos", .integer).notNull().defaults(to: 0)
            t.add(column: "model_version", .text)
            t.add(column: "updated_at", .double)
        }
        try db.create(index: "encounter_camera_time", on: "encounter", columns: ["camera", "started_epoch"])
        try db.create(index: "sighting_encounter", on: "sighting", columns: ["encounter_id"])
    }
}
