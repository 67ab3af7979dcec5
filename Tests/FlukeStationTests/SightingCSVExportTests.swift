import FlukeStore
import Foundation
import XCTest

/// `flukewatch export csv`: the sighting log for spreadsheets, read back with Python's csv module.
final class SightingCSVExportTests: XCTestCase {
    func testCSVHasEverySightingInTheWindowWithItsReviewState() throws {
        let s = try ReviewedStation("csv")
        let log = ReviewLog(database: s.database)
        _ = try log.decide("\(s.uncertain)", .reject(reason: "blurred, \"maybe\" HW-2"), reviewer: "ana")
        _ = try log.decide("\(s.match)", .confirm(individual: nil), reviewer: "ana")

        let out = s.station.root.appendingPathComponent("log.csv").path
        let r = try runFlukeWatch(["export", "csv", out, "--since", "2026-07-14T11:00:00-03:00"] + s.stateArguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try readCSVWithPython(out)
        let header = try XCTUnwrap(rows.first)
        XCTAssertEqual(Array(header.prefix(3)), ["sighting_id", "sighting_uuid", "captured_at"])
        let records = rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        XCTAssertEqual(records.map { $0["sighting_id"] }, ["\(s.uncertain)", "\(s.new)", "\(s.secondMatch)"])
        let rejected = records[0]
        XCTAssertEqual(rejected["review_state"], "rejected")
        XCTAssertEqual(rejected["reject_reason"], "blurred, \"maybe\" HW-2", "commas and quotes survive")
        XCTAssertEqual(rejected["reviewed_by"], "ana")
        XCTAssertEqual(rejected["captured_at"], "2026-07-14T11:00:00-03:00")
        XCTAssertEqual(rejected["latitude"], "-23.820000")
        XCTAssertEqual(records[1]["decision"], "new")
        XCTAssertEqual(records[1]["review_state"], "open")
        XCTAssertEqual(records[2]["individual_name"], "Pepper")
        XCTAssertEqual(records[2]["score"], "0.8800")

        // Without OUT the CSV goes to standard output; --until is exclusive.
        let stdout = try runFlukeWatch(["export", "csv", "--until", "2026-07-14T11:00:00-03:00"] + s.stateArguments)
        XCTAssertEqual(stdout.status, 0, stdout.stderr)
        let lines = stdout.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].hasPrefix("\(s.match),"), lines[1])
        XCTAssertTrue(lines[1].contains(",confirmed,ana,"), lines[1])

        let bad = try runFlukeWatch(["export", "csv", "--until", "yesterday"] + s.stateArguments)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--until expects an ISO 8601 time"), bad.stderr)
    }
}
