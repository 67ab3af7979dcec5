import ArgumentParser
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation
import Logging

/// Options every subcommand takes.
struct StationOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Config file (TOML).", valueName: "PATH"))
    var config: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("State directory (database, thumbnails); overrides the config.", valueName: "DIR"))
    var stateDir: String?

    func overrides(watches: [String] = [], workers: Int? = nil) -> ConfigOverrides {
        ConfigOverrides(configPath: config, stateDirectory: stateDir, watches: watches, workers: workers)
    }

    func resolve(watches: [String] = [], workers: Int? = nil) throws -> StationConfig {
        do {
            return try ConfigResolver.resolve(overrides(watches: watches, workers: workers))
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The config when one is given or installed; nil when a command can run without any
    /// (evaluate, identify with --state-dir).
    func resolveOptional() throws -> StationConfig? {
        if config == nil, stateDir == nil, ProcessInfo.processInfo.environment["FLUKEWATCH_CONFIG"] == nil,
           !FileManager.default.fileExists(atPath: StationConfig.defaultPath) {
            return nil
        }
        return try resolve()
    }

    /// For the catalog commands: the station database (created if this is the first command run
    /// on the station) and the installed model, with warnings only on the terminal.
    func openForCatalogWork() throws -> (StationConfig, StationDatabase, ModelPackage) {
        let config = try resolve()
        Output.bootstrapLogging(level: "warning")
        let database: StationDatabase
        do { database = try StationDatabase.openCreatingStateDirectory(config) } catch { throw CLIError("\(error)") }
        return (config, database, try ModelLocator.load(configured: config.modelDirectory))
    }

    /// Opens the station database for a command that only reads or adds to it.
    func openDatabase() throws -> (StationConfig, StationDatabase) {
        let config = try resolve()
        guard FileManager.default.fileExists(atPath: config.databasePath) else {
            throw CLIError("no station database at \(config.databasePath); run `flukewatch run` or `flukewatch ingest` first, or pass the right --state-dir")
        }
        do {
            return (config, try StationDatabase(path: config.databasePath))
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// An error already worded for the operator: printed as is, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

enum Output {
    /// One JSON object on one line (the `--json` contract).
    static func jsonLine(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func bootstrapLogging(level: String) {
        StationLogHandler.bootstrap(level: StationLogHandler.level(named: level))
    }
}
