import ArgumentParser
import FlukeCore
import FlukeStore

extension PhotoState: ExpressibleByArgument {}

struct PhotosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photos",
        abstract: "List the photos in the station log.")

    @OptionGroup var station: StationOptions

    @Option(name: .long, help: "Only photos in this state: queued, processing, done, failed, quarantined.")
    var status: PhotoState?

    @Flag(name: .long, help: "One JSON object per line.")
    var json = false

    func run() throws {
        let (_, database) = try station.openDatabase()
        for p in try StationQueries(database: database).photos(state: status) {
            if json {
                try Output.jsonLine(p)
            } else {
                var line = "\(p.sha256.prefix(12))  \(p.state.padding(toLength: 11, withPad: " ", startingAt: 0)) \(p.capturedAt)  \(p.camera)  \(p.path)"
                if !p.duplicatePaths.isEmpty { line += "  (+\(p.duplicatePaths.count) duplicate)" }
                if let reason = p.reason { line += "\n    \(reason)" }
                print(line)
            }
        }
    }
}
