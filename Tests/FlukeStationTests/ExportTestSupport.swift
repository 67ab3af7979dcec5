import FlukeTestSupport
import Foundation
import XCTest

/// Runs python3 (installed by scripts/setup.sh) as an independent reader of what we write:
/// its zipfile and csv modules know nothing of our code.
func runPython(_ arguments: [String]) throws -> CommandResult {
    try ProcessRun.toCompletion("/usr/bin/env", ["python3"] + arguments)
}

/// Tests an archive's checksums and unpacks it with Python's zipfile; returns the folder.
func unzipWithPython(_ archive: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    let test = try runPython(["-m", "zipfile", "-t", archive])
    XCTAssertEqual(test.status, 0, "zipfile -t: \(test.stdout)\(test.stderr)", file: file, line: line)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-unzip-\(UUID().uuidString.prefix(8))")
    let extract = try runPython(["-m", "zipfile", "-e", archive, dir.path])
    XCTAssertEqual(extract.status, 0, extract.stderr, file: file, line: line)
    return dir
}

/// Rows of a CSV file as Python's csv module reads them.
func readCSVWithPython(_ path: String) throws -> [[String]] {
    let r = try runPython(["-c", "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))", path])
    guard r.status == 0, let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String]] else {
        throw NSError(domain: "csv", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.stderr])
    }
    return rows
}
