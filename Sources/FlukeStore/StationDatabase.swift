import Foundation
import GRDB

/// The station's SQLite database: the durable queue and the sighting log.
///
/// WAL mode (readers never block the writer, a power cut loses at most the transaction in
/// flight), foreign keys on, and every schema change a named, append-only migration.
public final class StationDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // NORMAL is durable in WAL mode across process crashes; a power cut may lose only the
            // last transactions, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.path = path
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path: path, underlying: "\(error)")
        }
        try StationSchema.migrator.migrate(pool)
    }

    /// `PRAGMA integrity_check`: "ok" or SQLite's list of problems.
    public func integrityCheck() throws -> String {
        try pool.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
        }
    }

    /// Gives freed pages back to the file system: VACUUM (it writes through the WAL), then a
    /// truncating checkpoint so the main file itself shrinks now rather than at the last close.
    public func compact() throws {
        try pool.vacuum()
        try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    /// The journal mode in force (expected: "wal").
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, underlying: String)
    case unknownPhoto(String)
    case unknownIndividual(String)
    case unknownSighting(Int64)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let underlying):
            "cannot open the station database \(path): \(underlying). Check that the state directory exists, is writable by the flukewatch user, and the disk is not full."
        case .unknownPhoto(let sha):
            "no photo with SHA-256 \(sha) in the station database"
        case .unknownIndividual(let id):
            "no individual \(id) in the station's catalog"
        case .unknownSighting(let id):
            "no sighting \(id) in the station database"
        }
    }
}
