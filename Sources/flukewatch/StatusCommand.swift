import ArgumentParser
import FlukeStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the queue and the sighting log's counts.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "One JSON object: {\"photos\": {\"total\", \"queued\", …}, \"sightings\": N, …}.")
    var json = false

    func run() throws {
        let (_, database) = try station.openDatabase()
        let s = try StationQueries(database: database).status()
        if json {
            try Output.jsonLine(s)
            return
        }
        let p = s.photos
        print("""
            photos       \(p.total) (queued \(p.queued), processing \(p.processing), done \(p.done), failed \(p.failed), quarantined \(p.quarantined))
            duplicates   \(p.duplicates)
            RAW sidecars \(s.sidecars)
            sightings    \(s.sightings)\(s.lastSightingAt.map { " (last \($0))" } ?? "")
            database     \(s.database)
            """)
        if !s.quarantineReasons.isEmpty {
            print("quarantined  " + s.quarantineReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                  + " — see `flukewatch photos --status quarantined`")
        }
    }
}
