import ArgumentParser
import FlukeHub
import Foundation
import Logging

/// Where the hub keeps its data: an SQLite file (`--db PATH`, else `$FLUKEWATCH_HUB_DB`; the
/// default) or a PostgreSQL database (`--postgres URL`, else `$FLUKEWATCH_HUB_POSTGRES`) that
/// several hub replicas may share. A flag beats an environment variable; two flags are an error.
struct HubOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The hub's SQLite database (created if missing).", valueName: "PATH"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp(
        "A PostgreSQL database instead of SQLite, e.g. postgres://flukewatch@db.example.org:5432/flukewatch_hub (tables are created at start; password in $PGPASSWORD).",
        valueName: "URL"))
    var postgres: String?

    @Option(name: .customLong("id-prefix"), help: "Prefix of the global individual ids the hub gives out (FW-00001, …).")
    var idPrefix = "FW-"

    enum Location {
        case sqlite(String)
        case postgres(String)
    }

    func location() throws -> Location {
        let env = ProcessInfo.processInfo.environment
        func nonEmpty(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        switch (db, postgres) {
        case (.some, .some):
            throw ValidationError("give either --db (SQLite) or --postgres (PostgreSQL), not both")
        case (.some(let path), nil): return .sqlite(path)
        case (nil, .some(let url)): return .postgres(url)
        case (nil, nil):
            switch (nonEmpty("FLUKEWATCH_HUB_DB"), nonEmpty("FLUKEWATCH_HUB_POSTGRES")) {
            case (.some, .some):
                throw ValidationError("both FLUKEWATCH_HUB_DB and FLUKEWATCH_HUB_POSTGRES are set; unset one, or pass --db or --postgres")
            case (.some(let path), nil): return .sqlite(path)
            case (nil, .some(let url)): return .postgres(url)
            case (nil, nil):
                throw ValidationError("no database given: pass --db PATH (for example /var/lib/flukewatch-hub/hub.sqlite) or --postgres URL, or set FLUKEWATCH_HUB_DB or FLUKEWATCH_HUB_POSTGRES")
            }
        }
    }

    /// The storage, opened and migrated; the second value names it for the start-up line.
    /// Without a `logger`, only warnings reach stderr: stdout of `station add` is the token alone.
    func open(logger: Logger? = nil) async throws -> (storage: any HubStorage, description: String) {
        let where_ = try location()
        guard idPrefix.wholeMatch(of: /[A-Za-z][A-Za-z0-9]{0,15}-/) != nil else {
            throw ValidationError("--id-prefix must be letters and digits followed by '-', e.g. FW-; got \"\(idPrefix)\"")
        }
        do {
            switch where_ {
            case .sqlite(let path):
                return (try SQLiteHubStorage(path: path, idPrefix: idPrefix), "database \(path)")
            case .postgres(let text):
                let url = try PostgresURL(text)
                return (try await PostgresHubStorage.connect(url, idPrefix: idPrefix, logger: logger ?? Self.quietLogger), "PostgreSQL \(url)")
            }
        } catch {
            throw HubCLIError("\(error)")
        }
    }
}

extension HubOptions {
    static var quietLogger: Logger {
        var logger = Logger(label: "flukewatch-hub") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }
}

struct HubCLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
