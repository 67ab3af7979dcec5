import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation

struct ReviewEncounterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encounter",
        abstract: "Decide every open photo of an encounter at once: confirm, assign, new individual, reject, or undo.",
        discussion: """
        ENCOUNTER is the number `flukewatch encounters` prints. Without INDIVIDUAL or a flag, the photos are confirmed as the encounter's combined call. Each photo still gets its own logged decision and hub item (one of them can be undone with `review undo SIGHTING`); the encounter is decided entirely or not at all, and photos already decided are left as they are.
        """)

    @Argument(help: ArgumentHelp("The encounter (number, 12 or #12).", valueName: "ENCOUNTER"))
    var encounter: String

    @Argument(help: ArgumentHelp("Assign the photos to this individual (id or name) instead of the encounter's call.", valueName: "INDIVIDUAL"))
    var individual: String?

    @Flag(name: .customLong("new"), help: "A whale the catalog does not know: one provisional individual P-… for the whole encounter.")
    var newIndividual = false

    @Option(name: .long, help: ArgumentHelp("With --new: a name for the new individual.", valueName: "NAME"))
    var name: String?

    @Option(name: .long, help: ArgumentHelp("Reject every open photo with this reason.", valueName: "REASON"))
    var reject: String?

    @Flag(name: .long, help: "Reopen the encounter: undo the latest decision on each of its photos.")
    var undo = false

    @OptionGroup var options: ReviewDecisionOptions

    func validate() throws {
        let chosen = [individual != nil, newIndividual, reject != nil, undo].filter { $0 }.count
        guard chosen <= 1 else {
            throw ValidationError("give one of INDIVIDUAL, --new, --reject or --undo (or none, to confirm the encounter's call)")
        }
        guard name == nil || newIndividual else { throw ValidationError("--name goes with --new") }
        guard encounterID != nil else {
            throw ValidationError("ENCOUNTER is a number such as 12 or #12; `flukewatch encounters` lists them")
        }
    }

    private var encounterID: Int64? { Int64(encounter.hasPrefix("#") ? String(encounter.dropFirst()) : encounter) }

    func run() throws {
        let (config, database) = try options.station.openDatabase()
        let log = ReviewLog(database: database)
        let reviewer = config.reviewerName(flag: options.reviewer)
        let id = encounterID!
        let result: EncounterReviewResult
        do {
            if undo {
                result = try log.undoEncounter(id, reviewer: reviewer)
            } else if newIndividual {
                result = try log.decideEncounter(id, .newIndividual(name: name, idPrefix: config.provisionalIndividualPrefix), reviewer: reviewer)
            } else if let reject {
                result = try log.decideEncounter(id, .reject(reason: reject), reviewer: reviewer)
            } else {
                result = try log.decideEncounter(id, .confirm(individual: individual), reviewer: reviewer)
            }
        } catch let error as ReviewError {
            throw CLIError(error.description)
        }
        if options.json { return try Output.jsonLine(EncounterDecisionOutput(result)) }
        let names = (try? CatalogStore(database: database).names()) ?? [:]
        print("encounter #\(id): \(result.records.count) photo\(result.records.count == 1 ? "" : "s") \(undo ? "reopened" : "decided") by \(reviewer)")
        for record in result.records { print("  " + ReviewDecisionOptions.sentence(record, names: names)) }
        if !result.untouched.isEmpty {
            let list = result.untouched.map { "#\($0)" }.joined(separator: ", ")
            print("  left as they were (\(undo ? "nothing to undo" : "already decided")): \(list)")
        }
    }
}

/// What `review encounter --json` prints. Field names are a contract.
struct EncounterDecisionOutput: Encodable {
    var encounterID: Int64
    var decisions: [ReviewDecisionOutput]
    var untouched: [Int64]

    init(_ r: EncounterReviewResult) {
        encounterID = r.encounterID
        decisions = r.records.map(ReviewDecisionOutput.init)
        untouched = r.untouched
    }

    enum CodingKeys: String, CodingKey {
        case decisions, untouched
        case encounterID = "encounter_id"
    }
}
