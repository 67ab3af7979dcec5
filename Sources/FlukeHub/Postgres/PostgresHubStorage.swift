import FlukeAPI
import Foundation
import Logging
import PostgresNIO

/// The hub's storage in PostgreSQL, for a group that runs several hub replicas behind one
/// proxy. Correctness comes from the database alone — every method is one transaction, and
/// unique keys and transaction-scoped advisory locks settle races between replicas — so no
/// replica holds a lock in memory that another would not see.
public final class PostgresHubStorage: HubStorage {
    let client: PostgresClient
    let url: PostgresURL
    let logger: Logger
    /// Individual ids the hub gives out: prefix + 5 digits (FW-00001).
    let idPrefix: String
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, url: PostgresURL, idPrefix: String, logger: Logger) {
        self.client = client
        self.url = url
        self.idPrefix = idPrefix
        self.logger = logger
        // The pool lives as long as the storage; cancelling run() closes its connections.
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Connects once on its own (so a wrong host, user or database is reported as such, not
    /// as a pool timeout), applies the migrations, then opens the connection pool.
    public static func connect(_ url: PostgresURL, idPrefix: String = "FW-",
                               logger: Logger = Logger(label: "flukewatch-hub.postgres")) async throws -> PostgresHubStorage {
        let connection: PostgresConnection
        do {
            var config = try url.connectionConfiguration()
            config.options.connectTimeout = .seconds(10)
            connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        } catch {
            throw StorageError.invalid("""
                cannot connect to PostgreSQL at \(url): \(PostgresStorageError.detail(of: error)). Check that the server \
                runs and accepts connections there (pg_isready), that the user \(url.username) may log in \
                (pg_hba.conf, PGPASSWORD) and that the database \(url.database) exists (createdb \(url.database))
                """)
        }
        do {
            try await PostgresSchema.migrate(connection, logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw StorageError.invalid("cannot migrate the hub's tables in PostgreSQL at \(url): \(PostgresStorageError.detail(of: error)). The user \(url.username) needs CREATE on the database's public schema")
        }
        return PostgresHubStorage(client: PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger),
                                  url: url, idPrefix: idPrefix, logger: logger)
    }

    // MARK: Tokens

    public func principal(tokenSHA256: String) async throws -> Principal? {
        try await read { db in
            let rows = try await db.rows("SELECT role, name FROM principal WHERE token_sha256 = \(tokenSHA256) AND revoked_at IS NULL", logger)
            guard let row = rows.first, let role = Principal.Role(rawValue: try row["role"].decode(String.self)) else { return nil }
            return Principal(role: role, name: try row["name"].decode(String.self))
        }
    }

    public func addPrincipal(_ principal: Principal, tokenSHA256: String) async throws {
        do {
            try await transaction { db in
                try await db.query("""
                    INSERT INTO principal (role, name, token_sha256, created_at)
                    VALUES (\(principal.role.rawValue), \(principal.name), \(tokenSHA256), \(Date().timeIntervalSince1970))
                    """, logger: logger)
            }
        } catch let error as PostgresStorageError where error.sqlState == "23505" {
            // principal_live: another live token of that role and name (perhaps added by another replica).
            throw StorageError.conflict("\(principal) already has a live token; revoke it first (`flukewatch-hub \(principal.role.rawValue) revoke \(principal.name)`)")
        }
    }

    public func revokePrincipal(_ principal: Principal) async throws -> Bool {
        try await transaction { db in
            try await db.rows("""
                UPDATE principal SET revoked_at = \(Date().timeIntervalSince1970)
                WHERE role = \(principal.role.rawValue) AND name = \(principal.name) AND revoked_at IS NULL RETURNING 1
                """, logger).isEmpty == false
        }
    }

    public func principals() async throws -> [PrincipalListing] {
        try await read { db in
            try await db.rows("SELECT role, name, created_at, revoked_at FROM principal ORDER BY role, name, created_at", logger).compactMap { row in
                guard let role = Principal.Role(rawValue: try row["role"].decode(String.self)) else { return nil }
                return PrincipalListing(principal: Principal(role: role, name: try row["name"].decode(String.self)),
                                        createdAt: Date(timeIntervalSince1970: try row["created_at"].decode(Double.self)),
                                        revokedAt: try row["revoked_at"].decode(Double?.self).map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    // MARK: Crops

    public func hasCrop(sha256: String) async throws -> Bool {
        try await read { db in try await db.rows("SELECT 1 FROM crop WHERE sha256 = \(sha256)", logger).isEmpty == false }
    }

    public func putCrop(sha256: String, bytes: Data, uploadedBy: String) async throws -> Bool {
        // ON CONFLICT: two replicas storing the same crop at once both succeed, one of them first.
        try await transaction { db in
            try await db.rows("""
                INSERT INTO crop (sha256, bytes, size, uploaded_by, uploaded_at)
                VALUES (\(sha256), \(bytes), \(bytes.count), \(uploadedBy), \(Date().timeIntervalSince1970))
                ON CONFLICT (sha256) DO NOTHING RETURNING 1
                """, logger).isEmpty == false
        }
    }

    public func crop(sha256: String) async throws -> Data? {
        try await read { db in try await db.rows("SELECT bytes FROM crop WHERE sha256 = \(sha256)", logger).first?["bytes"].decode(Data.self) }
    }

    public func itemCounts() async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try await db.rows("SELECT station, COUNT(*) AS n FROM item GROUP BY station", logger) {
                out[try row["station"].decode(String.self)] = Int(try row["n"].decode(Int64.self))
            }
            return out
        }
    }
}
