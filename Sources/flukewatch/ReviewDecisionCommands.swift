import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation

/// What every decision command shares: the station, who decides, and how the result is printed.
struct ReviewDecisionOptions: ParsableArguments {
    @OptionGroup var station: StationOptions

    @Option(name: .long, help: ArgumentHelp("Who decides (default: [review] reviewer in the config, else $USER).", valueName: "NAME"))
    var reviewer: String?

    @Flag(name: .long, help: "Print the logged decision as one JSON object.")
    var json = false

    /// Runs `body` against the review log and reports its decision; review errors reach the
    /// operator as they are worded.
    func record(_ body: (ReviewLog, StationConfig, String) throws -> ReviewDecisionRecord) throws {
        let (config, database) = try station.openDatabase()
        let record: ReviewDecisionRecord
        do {
            record = try body(ReviewLog(database: database), config, config.reviewerName(flag: reviewer))
        } catch let error as ReviewError {
            throw CLIError(error.description)
        }
        if json { return try Output.jsonLine(ReviewDecisionOutput(record)) }
        print(Self.sentence(record, names: (try? CatalogStore(database: database).names()) ?? [:]))
    }

    static func sentence(_ r: ReviewDecisionRecord, names: [String: String]) -> String {
        func named(_ id: String?) -> String {
            guard let id else { return "no individual" }
            return names[id].map { "\(id) (\($0))" } ?? id
        }
        let subject = "sighting #\(r.sightingID)"
        switch r.action {
        case .confirm: return "\(subject) confirmed as \(named(r.after.individualID)) by \(r.reviewer); `flukewatch review undo \(r.sightingID)` reverts it"
        case .reassign: return "\(subject) assigned to \(named(r.after.individualID)) by \(r.reviewer); `flukewatch review undo \(r.sightingID)` reverts it"
        case .newIndividual: return "\(subject) marked as a new individual: provisional \(named(r.after.individualID)), by \(r.reviewer); `flukewatch review undo \(r.sightingID)` reverts it"
        case .reject: return "\(subject) rejected (\(r.after.rejectReason ?? "")) by \(r.reviewer); `flukewatch review undo \(r.sightingID)` reverts it"
        case .undo:
            let state = r.after.state == .open ? "open again" : "\(r.after.state.rawValue) as \(named(r.after.individualID))"
            return "\(subject): last decision undone by \(r.reviewer); it is \(state)"
        }
    }
}

struct ReviewConfirmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm",
        abstract: "Confirm a sighting as its top candidate, or as another individual (by id or name).")

    @Argument(help: ArgumentHelp("The sighting (number or uuid).", valueName: "SIGHTING"))
    var sighting: String

    @Argument(help: ArgumentHelp("Another individual than the top candidate, by id or name.", valueName: "INDIVIDUAL"))
    var individual: String?

    @OptionGroup var options: ReviewDecisionOptions

    func run() throws {
        try options.record { log, _, reviewer in try log.decide(sighting, .confirm(individual: individual), reviewer: reviewer) }
    }
}

struct ReviewNewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Mark a sighting as a whale the catalog does not know: creates a provisional individual P-….")

    @Argument(help: ArgumentHelp("The sighting (number or uuid).", valueName: "SIGHTING"))
    var sighting: String

    @Option(name: .long, help: ArgumentHelp("A name for the new individual (must not already be in use).", valueName: "NAME"))
    var name: String?

    @OptionGroup var options: ReviewDecisionOptions

    func run() throws {
        try options.record { log, config, reviewer in
            try log.decide(sighting, .newIndividual(name: name, idPrefix: config.provisionalIndividualPrefix), reviewer: reviewer)
        }
    }
}

struct ReviewRejectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Reject a sighting that is not usable, with a reason.")

    @Argument(help: ArgumentHelp("The sighting (number or uuid).", valueName: "SIGHTING"))
    var sighting: String

    @Option(name: .long, help: ArgumentHelp("\"no fluke\", \"unusable\", or a few words of your own.", valueName: "REASON"))
    var reason: String

    @OptionGroup var options: ReviewDecisionOptions

    func run() throws {
        try options.record { log, _, reviewer in try log.decide(sighting, .reject(reason: reason), reviewer: reviewer) }
    }
}

struct ReviewUndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Undo the latest decision on a sighting (the undo is logged and sent to the hub too).")

    @Argument(help: ArgumentHelp("The sighting (number or uuid).", valueName: "SIGHTING"))
    var sighting: String

    @OptionGroup var options: ReviewDecisionOptions

    func run() throws {
        try options.record { log, _, reviewer in try log.undo(sighting, reviewer: reviewer) }
    }
}
