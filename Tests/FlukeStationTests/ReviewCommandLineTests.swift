import FlukeStore
import Foundation
import GRDB
import XCTest

/// `flukewatch review …` as an operator types it, against a real station database.
final class ReviewCommandLineTests: XCTestCase {
    func json(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testListShowsOpenSightingsUncertainAndNewFirstAsJSONLines() throws {
        let s = try ReviewedStation("review-list")
        let r = try runFlukeWatch(["review", "list", "--json"] + s.stateArguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try r.lines.map(json)
        XCTAssertEqual(rows.compactMap { ($0["id"] as? NSNumber)?.int64Value }, [s.uncertain, s.new, s.match, s.secondMatch])
        XCTAssertEqual(rows.map { $0["decision"] as? String }, ["uncertain", "new", "match", "match"])
        XCTAssertEqual(rows[0]["review_state"] as? String, "open")
        let candidates = try XCTUnwrap(rows[0]["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.map { $0["name"] as? String }, ["Pepper", "Salt"])

        let text = try runFlukeWatch(["review", "list"] + s.stateArguments)
        XCTAssertEqual(text.lines.count, 4)
        XCTAssertTrue(text.lines[0].hasPrefix("#\(s.uncertain)  uncertain"), text.stdout)
        XCTAssertTrue(text.lines[0].contains("HW-2 \"Pepper\" 0.700"), text.stdout)
    }

    func testConfirmReassignNewRejectAndUndoEndToEnd() throws {
        let s = try ReviewedStation("review-cli")
        let confirm = try runFlukeWatch(["review", "confirm", "\(s.match)", "--reviewer", "ana", "--json"] + s.stateArguments)
        XCTAssertEqual(confirm.status, 0, confirm.stderr)
        let confirmed = try json(try XCTUnwrap(confirm.lines.last))
        XCTAssertEqual(confirmed["action"] as? String, "confirm")
        XCTAssertEqual(confirmed["individual_id"] as? String, "HW-1")
        XCTAssertEqual(confirmed["reviewer"] as? String, "ana")

        // The uncertain one is Salt, not the machine's Pepper: chosen by name.
        let reassign = try runFlukeWatch(["review", "confirm", "#\(s.uncertain)", "salt", "--reviewer", "ana"] + s.stateArguments)
        XCTAssertEqual(reassign.status, 0, reassign.stderr)
        XCTAssertTrue(reassign.stdout.contains("assigned to HW-1 (Salt) by ana"), reassign.stdout)
        XCTAssertEqual(try s.row(s.uncertain)["individual_id"] as String?, "HW-1")

        let new = try runFlukeWatch(["review", "new", "\(s.new)", "--name", "Splash", "--reviewer", "bo", "--json"] + s.stateArguments)
        XCTAssertEqual(new.status, 0, new.stderr)
        XCTAssertEqual(try json(try XCTUnwrap(new.lines.last))["individual_id"] as? String, "P-station-0001")

        let reject = try runFlukeWatch(["review", "reject", "\(s.secondMatch)", "--reason", "no fluke", "--reviewer", "bo"] + s.stateArguments)
        XCTAssertEqual(reject.status, 0, reject.stderr)
        XCTAssertEqual(try s.row(s.secondMatch)["review_state"] as String, "rejected")
        XCTAssertEqual(try s.row(s.secondMatch)["reject_reason"] as String?, "no fluke")

        XCTAssertEqual(try runFlukeWatch(["review", "list", "--json"] + s.stateArguments).lines.count, 0)

        let undo = try runFlukeWatch(["review", "undo", "\(s.secondMatch)", "--reviewer", "bo"] + s.stateArguments)
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertTrue(undo.stdout.contains("open again"), undo.stdout)
        let open = try runFlukeWatch(["review", "list", "--json"] + s.stateArguments).lines.map(json)
        XCTAssertEqual(open.compactMap { ($0["id"] as? NSNumber)?.int64Value }, [s.secondMatch])

        // Five decisions, five outbox items, one each.
        XCTAssertEqual(try s.decisions().map { $0["action"] as String }, ["confirm", "reassign", "new-individual", "reject", "undo"])
        XCTAssertEqual(try s.outboxKinds(), Array(repeating: "review-decision", count: 5))
    }

    func testAWholeEncounterIsDecidedAndReopenedInOneCommand() throws {
        let s = try ReviewedStation("review-encounter")
        let encounter = try s.encounter([s.match, s.uncertain, s.new], call: "HW-1")
        XCTAssertEqual(try runFlukeWatch(["review", "reject", "\(s.new)", "--reason", "no fluke", "--reviewer", "bo"] + s.stateArguments).status, 0)

        let confirm = try runFlukeWatch(["review", "encounter", "#\(encounter)", "--reviewer", "ana", "--json"] + s.stateArguments)
        XCTAssertEqual(confirm.status, 0, confirm.stderr)
        let result = try json(try XCTUnwrap(confirm.lines.last))
        XCTAssertEqual((result["encounter_id"] as? NSNumber)?.int64Value, encounter)
        let decisions = try XCTUnwrap(result["decisions"] as? [[String: Any]])
        XCTAssertEqual(decisions.compactMap { ($0["sighting_id"] as? NSNumber)?.int64Value }, [s.match, s.uncertain])
        XCTAssertEqual(decisions.map { $0["individual_id"] as? String }, ["HW-1", "HW-1"])
        XCTAssertEqual(decisions.map { $0["action"] as? String }, ["confirm", "reassign"])
        XCTAssertEqual((result["untouched"] as? [NSNumber])?.map(\.int64Value), [s.new])
        XCTAssertEqual(try s.row(s.uncertain)["individual_id"] as String?, "HW-1")

        let reopen = try runFlukeWatch(["review", "encounter", "\(encounter)", "--undo", "--reviewer", "ana"] + s.stateArguments)
        XCTAssertEqual(reopen.status, 0, reopen.stderr)
        XCTAssertTrue(reopen.stdout.hasPrefix("encounter #\(encounter): 3 photos reopened by ana"), reopen.stdout)
        XCTAssertEqual(try runFlukeWatch(["review", "list", "--json"] + s.stateArguments).lines.count, 4)

        let new = try runFlukeWatch(["review", "encounter", "\(encounter)", "--new", "--name", "Comet", "--reviewer", "bo"] + s.stateArguments)
        XCTAssertEqual(new.status, 0, new.stderr)
        XCTAssertTrue(new.stdout.contains("marked as a new individual: provisional P-station-0001 (Comet)"), new.stdout)
        XCTAssertEqual(try [s.match, s.uncertain, s.new].map { try s.row($0)["individual_id"] as String? },
                       Array(repeating: "P-station-0001", count: 3))
        // 1 reject + 2 confirms + 3 undos + 3 new: every photo's decision goes to the hub.
        XCTAssertEqual(try s.outboxKinds(), Array(repeating: "review-decision", count: 9))

        let unknown = try runFlukeWatch(["review", "encounter", "99"] + s.stateArguments)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no encounter #99"), unknown.stderr)
        let decided = try runFlukeWatch(["review", "encounter", "\(encounter)", "HW-2"] + s.stateArguments)
        XCTAssertEqual(decided.status, 1)
        XCTAssertTrue(decided.stderr.contains("--undo"), decided.stderr)
        let both = try runFlukeWatch(["review", "encounter", "\(encounter)", "HW-2", "--new"] + s.stateArguments)
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("give one of INDIVIDUAL, --new, --reject or --undo"), both.stderr)
        XCTAssertEqual(try s.outboxKinds().count, 9, "refused commands change nothing")
    }

    func testMistakesAreExplainedAndChangeNothing() throws {
        let s = try ReviewedStation("review-errors")
        let unknownSighting = try runFlukeWatch(["review", "confirm", "999"] + s.stateArguments)
        XCTAssertEqual(unknownSighting.status, 1)
        XCTAssertTrue(unknownSighting.stderr.contains("no sighting #999"), unknownSighting.stderr)
        XCTAssertTrue(unknownSighting.stderr.contains("flukewatch review list"), unknownSighting.stderr)

        let unknownWhale = try runFlukeWatch(["review", "confirm", "\(s.uncertain)", "Moby"] + s.stateArguments)
        XCTAssertEqual(unknownWhale.status, 1)
        XCTAssertTrue(unknownWhale.stderr.contains("no individual with id or name \"Moby\""), unknownWhale.stderr)
        XCTAssertTrue(unknownWhale.stderr.contains("flukewatch review new \(s.uncertain)"), unknownWhale.stderr)

        XCTAssertEqual(try runFlukeWatch(["review", "confirm", "\(s.match)", "--reviewer", "ana"] + s.stateArguments).status, 0)
        let twice = try runFlukeWatch(["review", "reject", "\(s.match)", "--reason", "unusable"] + s.stateArguments)
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("already confirmed as HW-1 by ana"), twice.stderr)
        XCTAssertTrue(twice.stderr.contains("flukewatch review undo \(s.match)"), twice.stderr)

        let nothing = try runFlukeWatch(["review", "undo", "\(s.new)"] + s.stateArguments)
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("no decision to undo"), nothing.stderr)

        let noReason = try runFlukeWatch(["review", "reject", "\(s.new)"] + s.stateArguments)
        XCTAssertNotEqual(noReason.status, 0)
        XCTAssertTrue(noReason.stderr.contains("--reason"), noReason.stderr)

        XCTAssertEqual(try s.decisions().count, 1, "only the one good decision was logged")
        XCTAssertEqual(try s.outboxKinds().count, 1)
    }

    func testReviewerComesFromTheFlagThenTheConfigThenTheLogin() throws {
        let s = try ReviewedStation("review-who")
        let config = s.station.root.appendingPathComponent("flukewatch.toml").path
        try "[review]\nreviewer = \"Carla (bridge)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let fromConfig = try runFlukeWatch(["review", "confirm", "\(s.match)", "--config", config, "--json"] + s.stateArguments,
                                           environment: ["USER": "deckhand"])
        XCTAssertEqual(try json(try XCTUnwrap(fromConfig.lines.last))["reviewer"] as? String, "Carla (bridge)", fromConfig.stderr)
        let fromUser = try runFlukeWatch(["review", "confirm", "\(s.secondMatch)", "--json"] + s.stateArguments,
                                         environment: ["USER": "deckhand"])
        XCTAssertEqual(try json(try XCTUnwrap(fromUser.lines.last))["reviewer"] as? String, "deckhand", fromUser.stderr)
        let fromFlag = try runFlukeWatch(["review", "new", "\(s.new)", "--reviewer", "dora", "--config", config, "--json"] + s.stateArguments)
        XCTAssertEqual(try json(try XCTUnwrap(fromFlag.lines.last))["reviewer"] as? String, "dora", fromFlag.stderr)
        let reserved = try runFlukeWatch(["review", "confirm", "\(s.uncertain)", "--reviewer", "auto"] + s.stateArguments)
        XCTAssertEqual(reserved.status, 1)
        XCTAssertTrue(reserved.stderr.contains("reserved"), reserved.stderr)
    }
}
