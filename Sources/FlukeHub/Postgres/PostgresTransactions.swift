import FlukeAPI
import Logging
import PostgresNIO

extension PostgresHubStorage {
    /// Runs `body` in one transaction on a pooled connection: committed if it returns, rolled
    /// back if it throws. Serialization failures and deadlocks (possible between replicas) are
    /// retried from the start; every other database error becomes a `PostgresStorageError`
    /// that names the server, while `StorageError`s (404/409/400) pass through unchanged.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withConnection { db in
                    try await db.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(db)
                        try await db.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await db.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 5 && ["40001", "40P01"].contains(error.serverInfo?[.sqlState]) {
                logger.debug("transaction retried after \(error.serverInfo?[.message] ?? "a serialization failure")")
            } catch {
                throw translate(error)
            }
        }
    }

    /// A single read on a pooled connection (its statements see committed data only).
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { try await body($0) }
        } catch {
            throw translate(error)
        }
    }

    private func translate(_ error: any Error) -> any Error {
        switch error {
        case is StorageError, is PostgresStorageError, is BatchConflict: return error
        default:
            let failure = PostgresStorageError(server: url.description, underlying: error)
            // PostgreSQL's text cannot hold U+0000, which JSON can: the request's fault, a 400.
            if ["22021", "22P05"].contains(failure.sqlState) {
                return StorageError.invalid("a text field contains a character PostgreSQL cannot store (U+0000); remove it and resend")
            }
            return failure
        }
    }
}

/// Thrown inside a batch's transaction to roll it back and carry the conflicts out.
struct BatchConflict: Error {
    let conflicts: [ItemConflict]
}

/// A database failure that is the hub's (or its server's) fault: a 500 whose log line says
/// which server and what it answered, since PSQLError's own description hides both.
public struct PostgresStorageError: Error, CustomStringConvertible {
    public let server: String
    public let sqlState: String?
    public let detail: String

    init(server: String, underlying: any Error) {
        self.server = server
        sqlState = (underlying as? PSQLError)?.serverInfo?[.sqlState]
        detail = Self.detail(of: underlying)
    }

    public var description: String { "PostgreSQL at \(server): \(detail)" }

    static func detail(of error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                return "\(info[.message] ?? "error") (SQLSTATE \(info[.sqlState] ?? "?"))" + (info[.detail].map { ": \($0)" } ?? "")
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return String(describing: error)
    }
}

extension PostgresConnection {
    /// Every row of a query, for the short result sets the hub reads.
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var out: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query, logger: logger) { out.append(row.makeRandomAccess()) }
        return out
    }
}
