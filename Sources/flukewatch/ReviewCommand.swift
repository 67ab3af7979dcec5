import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review sightings: list the open ones, confirm, reassign, mark new, reject, undo; one photo or a whole encounter.",
        discussion: """
        Every decision is logged with who made it and when, can be undone with `review undo`, and is queued for the hub in the same transaction. SIGHTING is the number `review list` prints (12 or #12) or the sighting's uuid. The reviewer is --reviewer, else [review] reviewer in the config, else $USER.
        """,
        subcommands: [ReviewListCommand.self, ReviewConfirmCommand.self, ReviewNewCommand.self,
                      ReviewRejectCommand.self, ReviewUndoCommand.self, ReviewEncounterCommand.self, ReviewServeCommand.self])
}

struct ReviewListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Sightings waiting for review: uncertain matches first, then new-individual candidates, then matches.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "Also list confirmed and rejected sightings (after the open ones).")
    var all = false

    @Flag(name: .long, help: "One JSON object per line.")
    var json = false

    func run() throws {
        let (_, database) = try station.openDatabase()
        let listing = try StationQueries(database: database).reviewQueue(includeDecided: all)
        if json {
            for item in listing { try Output.jsonLine(item) }
            return
        }
        guard !listing.isEmpty else {
            print(all ? "no sightings yet" : "no sightings waiting for review")
            return
        }
        for item in listing {
            let candidates = item.candidates.prefix(3).map { c in
                (c.name.map { "\(c.individual) \"\($0)\"" } ?? c.individual) + String(format: " %.3f", c.score)
            }.joined(separator: ", ")
            var line = "#\(item.id)  \(item.decision)  \(item.capturedAt)  \(item.camera)  "
            line += candidates.isEmpty ? "no candidates" : candidates
            if item.reviewState != "open" {
                line += "  [\(item.reviewState)\(item.individual.map { " as \($0)" } ?? "")\(item.reviewedBy.map { " by \($0)" } ?? "")]"
            }
            print(line + "  " + item.path)
        }
    }
}

/// What a decision command prints with --json. Field names are a contract.
struct ReviewDecisionOutput: Encodable {
    var decisionUUID: String
    var sightingID: Int64
    var action: String
    var reviewer: String
    var decidedAt: String
    var state: String
    var individualID: String?
    var rejectReason: String?
    var autoConfirmed: Bool
    var createdIndividual: String?

    init(_ r: ReviewDecisionRecord) {
        decisionUUID = r.uuid
        sightingID = r.sightingID
        action = r.action.rawValue
        reviewer = r.reviewer
        decidedAt = ReviewTime.iso8601(r.decidedAt.timeIntervalSince1970)
        state = r.after.state.rawValue
        individualID = r.after.individualID
        rejectReason = r.after.rejectReason
        autoConfirmed = r.after.autoConfirmed
        createdIndividual = r.createdIndividual
    }

    enum CodingKeys: String, CodingKey {
        case action, reviewer, state
        case decisionUUID = "decision_uuid", sightingID = "sighting_id", decidedAt = "decided_at"
        case individualID = "individual_id", rejectReason = "reject_reason", autoConfirmed = "auto_confirmed"
        case createdIndividual = "created_individual"
    }
}
