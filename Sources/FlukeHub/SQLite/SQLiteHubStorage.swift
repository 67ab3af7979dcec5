import FlukeAPI
import Foundation
import GRDB

/// The hub's storage in one SQLite file (WAL). Enough for a research group's stations: every
/// write is one short transaction and the file is backed up with `sqlite3 hub.sqlite .backup`.
public final class SQLiteHubStorage: HubStorage {
    let pool: DatabasePool
    /// Individual ids the hub gives out: prefix + 5 digits (FW-00001).
    let idPrefix: String

    public init(path: String, idPrefix: String = "FW-") throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try HubSchema.migrator.migrate(pool)
        } catch {
            throw StorageError.invalid("cannot open the hub database \(path): \(error). Check that its folder exists and is writable by the hub's user.")
        }
        self.idPrefix = idPrefix
    }

    // MARK: Tokens

    public func principal(tokenSHA256: String) async throws -> Principal? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT role, name FROM principal WHERE token_sha256 = ? AND revoked_at IS NULL",
                             arguments: [tokenSHA256]).flatMap { row in
                Principal.Role(rawValue: row["role"]).map { Principal(role: $0, name: row["name"]) }
            }
        }
    }

    public func addPrincipal(_ principal: Principal, tokenSHA256: String) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM principal WHERE role = ? AND name = ? AND revoked_at IS NULL",
                                 arguments: [principal.role.rawValue, principal.name]) == true {
                throw StorageError.conflict("\(principal) already has a live token; revoke it first (`flukewatch-hub \(principal.role.rawValue) revoke \(principal.name)`)")
            }
            try db.execute(sql: "INSERT INTO principal (role, name, token_sha256, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [principal.role.rawValue, principal.name, tokenSHA256, Date().timeIntervalSince1970])
        }
    }

    public func revokePrincipal(_ principal: Principal) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE principal SET revoked_at = ? WHERE role = ? AND name = ? AND revoked_at IS NULL",
                           arguments: [Date().timeIntervalSince1970, principal.role.rawValue, principal.name])
            return db.changesCount > 0
        }
    }

    public func principals() async throws -> [PrincipalListing] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM principal ORDER BY role, name, created_at").compactMap { row in
                guard let role = Principal.Role(rawValue: row["role"]) else { return nil }
                return PrincipalListing(principal: Principal(role: role, name: row["name"]),
                                        createdAt: Date(timeIntervalSince1970: row["created_at"]),
                                        revokedAt: (row["revoked_at"] as Double?).map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    // MARK: Crops

    public func hasCrop(sha256: String) async throws -> Bool {
        try await pool.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM crop WHERE sha256 = ?", arguments: [sha256]) == true }
    }

    public func putCrop(sha256: String, bytes: Data, uploadedBy: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO crop (sha256, bytes, size, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [sha256, bytes, bytes.count, uploadedBy, Date().timeIntervalSince1970])
            return db.changesCount > 0
        }
    }

    public func crop(sha256: String) async throws -> Data? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT bytes FROM crop WHERE sha256 = ?", arguments: [sha256]) }
    }

    public func itemCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT station, COUNT(*) AS n FROM item GROUP BY station") { out[row["station"]] = row["n"] }
            return out
        }
    }
}

/// Times the hub writes into changes: UTC, ISO 8601.
enum HubTime {
    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }
}
