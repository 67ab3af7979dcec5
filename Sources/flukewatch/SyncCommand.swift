import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation
import Logging

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the outbox to the hub and apply the catalog's changes ([hub] in the config).",
        discussion: """
        Without --once it keeps going: a round every [hub] interval_seconds, backing off after
        failures, until Ctrl-C. With --once it does rounds until the outbox is empty or one fails
        (exit status 1, with the reason). Items are sent oldest first, at most
        max_bytes_per_round per round; resending after a cut is safe (the hub deduplicates).
        """)

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "Sync until the outbox is empty (or a round fails), then exit.")
    var once = false

    @Flag(name: .long, help: "List the items the hub refused for good, with the reason, and exit.")
    var parked = false

    func run() async throws {
        let (config, database) = try station.openDatabase()
        if parked {
            let items = try SyncOutbox(database: database).parkedItems()
            if items.isEmpty { print("nothing set aside: the hub has taken every item it was sent") }
            for p in items { print("\(p.itemID)\t\(p.kind)\t\(p.reason)") }
            return
        }
        guard let hub = config.hub else {
            throw CLIError("no [hub] section with a url and token in the config; add one (see configs/flukewatch.toml) with the token `flukewatch-hub station add \(config.stationID)` printed")
        }
        Output.bootstrapLogging(level: config.logLevel)
        let logger = Logger(label: "flukewatch")
        let service = SyncService(config: config, settings: hub, database: database, logger: logger)
        if once {
            // Passing trouble (no link, a hub restarting, 429) is retried a few times with
            // backoff; a refusal that waiting cannot fix ends the command at once.
            var backoff = Backoff(minimum: hub.retryMinSeconds, maximum: hub.retryMaxSeconds)
            while true {
                do {
                    let report = try await service.round()
                    backoff.succeeded()
                    if report.waiting == 0 || report.itemsSent == 0 { break }
                } catch {
                    let transient = (error as? HubError)?.isTransient ?? false
                    guard transient, backoff.failures < 5 else {
                        await service.shutdown()
                        throw CLIError("sync failed: \(error)")
                    }
                    try await Task.sleep(for: .milliseconds(Int(backoff.failed() * 1000)))
                }
            }
            await service.shutdown()
            let s = try SyncOutbox(database: database).status()
            print("outbox \(s.outbox) waiting, \(s.acknowledged) acknowledged, \(s.parked) set aside; catalog at change \(s.catalogCursor)")
            return
        }
        try await withTaskCancellationHandler {
            try await service.loop(forever: true)
        } onCancel: {}
        await service.shutdown()
    }
}
