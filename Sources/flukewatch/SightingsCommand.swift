import ArgumentParser
import FlukeStore
import Foundation

struct SightingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightings",
        abstract: "List sightings, oldest capture time first.")

    @OptionGroup var station: StationOptions

    @Option(name: .long, help: ArgumentHelp("Only sightings captured at or after TIME (ISO 8601: 2026-07-14, 2026-07-14T09:30:00-03:00).", valueName: "TIME"))
    var since: String?

    @Flag(name: .long, help: "One JSON object per line.")
    var json = false

    func run() throws {
        let (_, database) = try station.openDatabase()
        let sinceDate = try since.map(Self.parseTime)
        for s in try StationQueries(database: database).sightings(since: sinceDate) {
            if json {
                try Output.jsonLine(s)
            } else {
                let place = s.latitude.map { String(format: "%.5f,%.5f", $0, s.longitude ?? 0) } ?? "no position"
                print("#\(s.id)  \(s.capturedAt)  \(s.decision)  \(s.camera)  \(place)  \(s.path)")
            }
        }
    }

    static func parseTime(_ text: String) throws -> Date { try parseTime(text, option: "--since") }

    static func parseTime(_ text: String, option: String) throws -> Date {
        let full = ISO8601DateFormatter()
        if let d = full.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = fractional.date(from: text) { return d }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let d = day.date(from: text) { return d }
        throw ValidationError("\(option) expects an ISO 8601 time such as 2026-07-14 or 2026-07-14T09:30:00-03:00, got \"\(text)\"")
    }
}
