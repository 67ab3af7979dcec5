@testable import FlukeStation
import XCTest

final class CatalogCSVTests: XCTestCase {
    func testRowsResolveRelativePathsAndReportBadLines() throws {
        let text = [
            "\u{FEFF}file,individual,name",
            "a.jpg,HW-1,Salt",
            "/abs/b.jpg,HW-2,",
            "\"with, comma.jpg\",HW-1,\"Salt \"\"the elder\"\"\"",
            "c.jpg,,",
            "d.jpg,new_whale,",
            "a.jpg,HW-3,",
            "e.jpg,HW-4",
            "",
        ].joined(separator: "\n")
        let csv = try CatalogCSV.parse(text, path: "/cat/labels.csv", baseDirectory: "/cat")
        XCTAssertEqual(csv.rows.map(\.file), ["/cat/a.jpg", "/abs/b.jpg", "/cat/with, comma.jpg"])
        XCTAssertEqual(csv.rows.map(\.individual), ["HW-1", "HW-2", "HW-1"])
        XCTAssertEqual(csv.rows.map(\.name), ["Salt", nil, "Salt \"the elder\""])
        XCTAssertEqual(csv.rows.map(\.line), [2, 3, 4])
        XCTAssertEqual(csv.problems.map(\.line), [5, 6, 7, 8])
        XCTAssertTrue(csv.problems[2].message.contains("line 2"), csv.problems[2].message)
    }

    func testHeaderMustNameFileAndIndividual() {
        XCTAssertThrowsError(try CatalogCSV.parse("path,id\nx,y\n", path: "/c.csv", baseDirectory: "/")) { e in
            XCTAssertTrue("\(e)".contains("file and individual"), "\(e)")
        }
    }
}
