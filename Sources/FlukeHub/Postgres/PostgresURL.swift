import Foundation
import NIOSSL
import PostgresNIO

/// Where the hub's PostgreSQL database is, from a libpq-style URL:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]
///     postgres://USER@/DATABASE?host=/run/postgresql[&port=5432]      (a unix socket)
///
/// The password may instead come from `$PGPASSWORD`, so it stays out of `ps` and unit files.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Parses `text`; every refusal says which part is wrong and what a good URL looks like.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let example = "e.g. postgres://flukewatch@db.example.org:5432/flukewatch_hub"
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased() else {
            throw StorageError.invalid("the PostgreSQL URL \"\(Self.redacted(text))\" is not a URL (user, host, port and database as in \(example))")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw StorageError.invalid("the PostgreSQL URL must start with postgres://, not \(scheme)://; \(example)")
        }
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let known: Set<String> = ["host", "port", "sslmode", "user", "password", "dbname"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw StorageError.invalid("the PostgreSQL URL has an unknown parameter \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let user = query["user"] ?? parts.user.flatMap({ $0.removingPercentEncoding ?? $0 }), !user.isEmpty else {
            throw StorageError.invalid("the PostgreSQL URL names no user; put it before the host: \(example)")
        }
        let db = query["dbname"] ?? String(parts.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty else {
            throw StorageError.invalid("the PostgreSQL URL names no database; put it after the host: \(example)")
        }
        let portText = query["port"] ?? parts.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw StorageError.invalid("the PostgreSQL URL's port \"\(portText)\" is not a port number (1-65535)")
        }
        let host = query["host"] ?? parts.host ?? ""
        if host.hasPrefix("/") {
            // libpq's convention: a host that is a folder means the server's socket in it.
            endpoint = .unixSocket(path: "\(host)/.s.PGSQL.\(port)")
        } else {
            guard !host.isEmpty else {
                throw StorageError.invalid("the PostgreSQL URL names no host; give one (\(example)) or a socket folder (?host=/run/postgresql)")
            }
            endpoint = .tcp(host: host, port: port)
        }
        let mode = query["sslmode"] ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw StorageError.invalid("the PostgreSQL URL's sslmode \"\(mode)\" is not one of disable, prefer, require")
        }
        self.username = user
        self.password = query["password"] ?? parts.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        self.database = db
        self.tls = tls
    }

    /// The server as an operator would look for it in logs and firewall rules (never the password).
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): "postgres://\(username)@\(host):\(port)/\(database)"
        case .unixSocket(let path): "postgres://\(username)@/\(database) (socket \(path))"
        }
    }

    /// The URL as text fit for a log line: any password replaced.
    static func redacted(_ text: String) -> String {
        text.replacing(/:[^:@\/]*@/, with: ":***@")
    }

    var clientConfiguration: PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            let mode: PostgresClient.Configuration.TLS = switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
            config = .init(host: host, port: port, username: username, password: password, database: database, tls: mode)
        case .unixSocket(let path):
            config = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        config.options.connectTimeout = .seconds(10)
        return config
    }

    /// For the single connection that checks the server and migrates at start.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .tcp(let host, let port):
            let mode: PostgresConnection.Configuration.TLS = switch tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            return .init(host: host, port: port, username: username, password: password, database: database, tls: mode)
        case .unixSocket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }
}
