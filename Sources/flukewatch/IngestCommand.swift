import ArgumentParser
import FlukeCore
import FlukeStation
import FlukeStore
import Foundation
import Logging

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Take files or folders into the station log once (a card offloaded by hand), process them, and exit.")

    @OptionGroup var station: StationOptions

    @Option(name: .long, help: "Camera label recorded for these photos.")
    var camera: String = "manual"

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    @Argument(help: ArgumentHelp("Photos or folders (searched recursively).", valueName: "PATH"))
    var paths: [String]

    func run() throws {
        let config = try station.resolve()
        Output.bootstrapLogging(level: config.logLevel == "info" ? "notice" : config.logLevel)
        let logger = Logger(label: "flukewatch-ingest")
        let database: StationDatabase
        do {
            database = try StationDatabase.openCreatingStateDirectory(config)
        } catch {
            throw CLIError("\(error)")
        }
        var bar = ProgressBar()
        let summary: ManualIngest.Summary
        do {
            summary = try ManualIngest(config: config, database: database, logger: logger)
                .run(paths: paths, camera: CameraLabel(camera)) { phase, done, total in
                    bar.update(phase.rawValue, done, total)
                }
        } catch {
            throw CLIError("\(error)")
        }
        if json {
            try Output.jsonLine(summary)
        } else {
            print("""
                ingested \(summary.files) file(s): \(summary.queued) new, \(summary.duplicates) duplicate(s), \
                \(summary.alreadyRecorded) already recorded, \(summary.sidecars) RAW sidecar(s), \
                \(summary.quarantined) quarantined, \(summary.unreadable) unreadable; \
                processed \(summary.processed), failed \(summary.failed)
                """)
        }
    }
}
