import GRDB

extension StationSchema {
    /// How useful the photo was for identification (`PhotoUsefulness.score`) and, for an unusable
    /// one, why: such a photo is never called a new individual, and the reviewer sees the reason.
    /// Null for sightings recorded before this migration or without a catalog.
    static func addUsefulness(_ db: Database) throws {
        try db.alter(table: "sighting") { t in
            t.add(column: "usefulness", .double)
            t.add(column: "unusable_because", .text)
        }
    }
}
