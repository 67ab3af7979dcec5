import FlukeMatch
import XCTest

final class EmbeddingMatrixTests: XCTestCase {
    func testRowsAppendAndRemoveKeepOrder() {
        var m = EmbeddingMatrix(rows: [[1, 2], [3, 4]])
        m.append([5, 6])
        XCTAssertEqual(m.count, 3)
        XCTAssertEqual(Array(m.row(2)), [5, 6])
        m.remove(rows: [0])
        XCTAssertEqual(m.values, [3, 4, 5, 6])
    }
}
