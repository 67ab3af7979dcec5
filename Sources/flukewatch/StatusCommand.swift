import ArgumentParser
import FlukeStation
import FlukeStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the queue and the sighting log's counts.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "One JSON object: {\"photos\": {\"total\", \"queued\", …}, \"sightings\": N, …}.")
    var json = false

    func run() throws {
        let (config, database) = try station.openDatabase()
        let daemon = StateDirectoryLock.holder(stateDirectory: config.stateDirectory)
        let s = try StationQueries(database: database).status()
        let sync = try SyncOutbox(database: database).status()
        let change = try CatalogStore(database: database).latestModelChange()
        if json {
            try Output.jsonLine(StatusWithSync(station: s, sync: sync, modelChange: change, daemon: daemon))
            return
        }
        let p = s.photos
        let running = if case .daemon(let pid) = daemon { "running" + (pid.map { " (pid \($0))" } ?? "") } else { "not running" }
        print("""
            daemon       \(running)
            photos       \(p.total) (queued \(p.queued), processing \(p.processing), done \(p.done), failed \(p.failed), quarantined \(p.quarantined))
            duplicates   \(p.duplicates)
            RAW sidecars \(s.sidecars)
            sightings    \(s.sightings)\(s.lastSightingAt.map { " (last \($0))" } ?? "")
            database     \(s.database)
            sync         outbox \(sync.outbox), set aside \(sync.parked), last success \(sync.lastSuccessAt ?? "never")\(sync.lastError.map { ", last error at \(sync.lastErrorAt ?? "?"): \($0)" } ?? "")
            """)
        if let c = change {
            let state = c.finishedAt == nil ? "in progress" : "finished"
            print("model change \(c.modelVersion): catalog re-embedded \(c.done) of \(c.total) (\(c.failed) failed), \(state)"
                  + (c.lastError.map { "; last error: \($0)" } ?? ""))
        }
        if !s.quarantineReasons.isEmpty {
            print("quarantined  " + s.quarantineReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                  + " — see `flukewatch photos --status quarantined`")
        }
    }
}

/// `status --json`: the station's counts plus a `sync` object (outbox depth, last success, last
/// error), `model_change` (re-embedding the catalog for a new model; null when none ever ran)
/// and `daemon` (`running`, and the `pid` the lock file names, null when stopped).
struct StatusWithSync: Encodable {
    let station: StationStatus
    let sync: SyncStatus
    let modelChange: CatalogStore.ModelChange?
    let daemon: StateDirectoryLock.Holder

    enum Key: String, CodingKey { case sync, modelChange = "model_change", daemon }

    func encode(to encoder: any Encoder) throws {
        try station.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(sync, forKey: .sync)
        try c.encode(modelChange, forKey: .modelChange)
        try c.encode(daemon, forKey: .daemon)
    }
}
