import ArgumentParser
import FlukeStation
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the station daemon in the foreground (SIGTERM or Ctrl-C stops it cleanly).")

    @OptionGroup var station: StationOptions

    @Option(name: .long, help: ArgumentHelp("Watch DIR as a drop folder (camera label defaults to the folder name). Repeatable; replaces the config's drop folders.", valueName: "DIR[=CAMERA]"))
    var watch: [String] = []

    @Option(name: .long, help: "Photos processed at once (overrides [processing] workers).")
    var workers: Int?

    func run() async throws {
        let config = try station.resolve(watches: watch, workers: workers)
        Output.bootstrapLogging(level: config.logLevel)
        let logger = Logger(label: "flukewatch")
        do {
            // SIGHUP re-reads the same sources with the same flags.
            let overrides = station.overrides(watches: watch, workers: workers)
            let daemon = try StationDaemon(config: config, logger: logger, reloader: { try ConfigResolver.resolve(overrides) })
            try await daemon.run()
        } catch {
            logger.critical("\(error)", metadata: [Logger.eventKey: "fatal"])
            throw ExitCode.failure
        }
    }
}
