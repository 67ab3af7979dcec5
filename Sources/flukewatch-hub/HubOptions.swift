import ArgumentParser
import FlukeHub
import Foundation

/// Where the hub's database is: `--db PATH`, else `$FLUKEWATCH_HUB_DB`.
struct HubOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The hub's SQLite database (created if missing).", valueName: "PATH"))
    var db: String?

    @Option(name: .customLong("id-prefix"), help: "Prefix of the global individual ids the hub gives out (FW-00001, …).")
    var idPrefix = "FW-"

    func open() throws -> SQLiteHubStorage {
        guard let path = db ?? ProcessInfo.processInfo.environment["FLUKEWATCH_HUB_DB"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("no database given: pass --db PATH (for example /var/lib/flukewatch-hub/hub.sqlite) or set FLUKEWATCH_HUB_DB")
        }
        guard idPrefix.wholeMatch(of: /[A-Za-z][A-Za-z0-9]{0,15}-/) != nil else {
            throw ValidationError("--id-prefix must be letters and digits followed by '-', e.g. FW-; got \"\(idPrefix)\"")
        }
        do {
            return try SQLiteHubStorage(path: path, idPrefix: idPrefix)
        } catch {
            throw HubCLIError("\(error)")
        }
    }
}

struct HubCLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
