@testable import FlukeStation
import XCTest

final class TOMLDocumentTests: XCTestCase {
    func testValuesTablesAndLines() throws {
        let doc = try TOMLDocument.parse("""
            # comment
            title = "a \\"quoted\\" \\u00e9 string" # trailing comment
            literal = 'C:\\raw'
            count = 1_000
            ratio = 2.5
            on = true
            list = [1, 2,
              3, # comment inside
            ]

            [server.limits]
            inline = { a = 1, b = "x" }

            [[folder]]
            path = "/a"
            [[folder]]
            path = "/b"
            """)
        XCTAssertEqual(doc["title"]?.value, .string("a \"quoted\" é string"))
        XCTAssertEqual(doc["title"]?.line, 2)
        XCTAssertEqual(doc["literal"]?.value, .string("C:\\raw"))
        XCTAssertEqual(doc["count"]?.value, .integer(1000))
        XCTAssertEqual(doc["ratio"]?.value, .float(2.5))
        XCTAssertEqual(doc["on"]?.value, .bool(true))
        XCTAssertEqual(doc["list"]?.value, .array([.integer(1), .integer(2), .integer(3)]))
        guard case .table(let server)? = doc["server"]?.value, case .table(let limits)? = server["limits"]?.value else {
            return XCTFail("nested table missing")
        }
        XCTAssertEqual(limits["inline"]?.line, 12)
        guard case .array(let folders)? = doc["folder"]?.value, folders.count == 2,
              case .table(let second) = folders[1] else { return XCTFail("array of tables missing") }
        XCTAssertEqual(second["path"]?.value, .string("/b"))
        XCTAssertEqual(second["path"]?.line, 17)
    }

    func testSyntaxErrorsCarryTheirLine() {
        for (text, line) in [("a = 1\nb = \"unterminated\n", 2), ("a = 1\na = 2\n", 2), ("x = nope\n", 1),
                             ("[t]\n[t]\n", 2), ("k = 2026-07-14\n", 1), ("= 3\n", 1), ("a = 1 2\n", 1)] {
            XCTAssertThrowsError(try TOMLDocument.parse(text), text) { error in
                XCTAssertEqual((error as? TOMLSyntaxError)?.line, line, text)
            }
        }
    }
}
