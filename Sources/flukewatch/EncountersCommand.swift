import ArgumentParser
import FlukeStore
import Foundation

struct EncountersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encounters",
        abstract: "List encounters (one camera's photos less than [identification] encounter_gap apart) with their combined call.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "One JSON object per line: {\"id\", \"camera\", \"started_epoch\", \"ended_epoch\", \"decision\", \"individual\", \"score\", \"candidates\", \"photos\", \"usable_photos\", \"model_version\", \"sightings\"}.")
    var json = false

    func run() throws {
        let (_, database) = try station.openDatabase()
        let time = ISO8601DateFormatter()
        for e in try EncounterStore(database: database).list() {
            if json {
                try Output.jsonLine(e)
                continue
            }
            let call = [e.decision ?? "not identified", e.individual ?? "", e.score.map { String(format: "%.3f", $0) } ?? ""]
                .filter { !$0.isEmpty }.joined(separator: " ")
            let when = time.string(from: Date(timeIntervalSince1970: e.startedEpoch))
            let span = Int((e.endedEpoch - e.startedEpoch).rounded())
            print("encounter \(e.id)  \(when) +\(span) s  \(e.camera)  \(e.photos) photos (\(e.usablePhotos) usable)  \(call)  sightings \(e.sightings.map { "#\($0)" }.joined(separator: " "))")
        }
    }
}
