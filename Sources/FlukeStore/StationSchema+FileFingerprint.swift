import GRDB

extension StationSchema {
    /// Which file (device, inode) and its change time when intake hashed it, so processing can
    /// trust unchanged bytes without hashing them again (see `FileFingerprint`). Null for files
    /// recorded before this migration: those are hashed again, as before.
    static func addFileFingerprint(_ db: Database) throws {
        try db.alter(table: "photo_file") { t in
            t.add(column: "device", .integer)
            t.add(column: "inode", .integer)
            t.add(column: "ctime_ns", .integer)
        }
    }
}
