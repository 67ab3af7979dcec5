import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export sightings: a Darwin Core Archive to publish, or a CSV log for spreadsheets.",
        subcommands: [ExportDarwinCoreCommand.self, ExportCSVCommand.self])
}

/// The capture-time window both exports take.
struct ExportPeriod: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only sightings captured at or after TIME (ISO 8601: 2026-07-14, 2026-07-14T09:30:00-03:00).", valueName: "TIME"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only sightings captured before TIME (ISO 8601; --until 2026-07-15 ends with 14 July, UTC).", valueName: "TIME"))
    var until: String?

    func sightings(_ database: StationDatabase) throws -> [ExportedSighting] {
        let start = try since.map { try SightingsCommand.parseTime($0, option: "--since") }
        let end = try until.map { try SightingsCommand.parseTime($0, option: "--until") }
        if let start, let end, end <= start {
            throw ValidationError("--until (\(until!)) must come after --since (\(since!))")
        }
        return try StationQueries(database: database).exportedSightings(since: start, until: end)
    }
}

struct ExportDarwinCoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dwc",
        abstract: "Write a Darwin Core Archive (occurrence core, meta.xml, eml.xml) of confirmed sightings.",
        discussion: """
        Confirmed sightings become occurrences: HumanObservation when a person confirmed them, MachineObservation when the station did (identificationVerificationStatus says which). Rejected sightings are never exported. The archive is replaced atomically.
        """)

    @OptionGroup var station: StationOptions

    @Argument(help: ArgumentHelp("The archive to write.", valueName: "OUT.zip"))
    var output: String

    @OptionGroup var period: ExportPeriod

    @Flag(name: .customLong("include-open"), help: "Also export identified sightings nobody has reviewed yet, as unverified.")
    var includeOpen = false

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        let (config, database) = try station.openDatabase()
        let sightings = try period.sightings(database)
        let archive = DarwinCoreArchive(stationName: config.stationName, stationID: config.stationID, includeOpen: includeOpen)
        let summary: DarwinCoreArchive.Summary
        do {
            summary = try archive.write(sightings, to: URL(fileURLWithPath: output).path)
        } catch let error as ZipArchiveWriter.Failure {
            throw CLIError(error.description)
        } catch {
            throw CLIError("cannot write \(output): \(error.localizedDescription); check that its folder exists and is writable")
        }
        if json { return try Output.jsonLine(summary) }
        print("wrote \(summary.occurrences) occurrence(s) to \(summary.path)"
              + (summary.skipped > 0 ? "; \(summary.skipped) sighting(s) in the period left out (open, rejected or not identified\(includeOpen ? "" : "; --include-open adds the open ones"))" : ""))
    }
}

struct ExportCSVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv",
        abstract: "Write the sighting log as CSV (every sighting with its review state), to OUT or standard output.")

    @OptionGroup var station: StationOptions

    @Argument(help: ArgumentHelp("The CSV file to write (default: standard output).", valueName: "OUT"))
    var output: String?

    @OptionGroup var period: ExportPeriod

    func run() throws {
        let (_, database) = try station.openDatabase()
        let text = SightingLogCSV.text(try period.sightings(database))
        guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CLIError("cannot write \(output): \(error.localizedDescription); check that its folder exists and is writable")
        }
    }
}
