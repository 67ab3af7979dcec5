import FlukeCore
import XCTest

final class PhotoIDTests: XCTestCase {
    func testAcceptsOnlySixtyFourHexDigitsAndStoresLowercase() {
        let upper = String(repeating: "AB", count: 32)
        XCTAssertEqual(PhotoID(hex: upper)?.hex, String(repeating: "ab", count: 32))
        XCTAssertNil(PhotoID(hex: String(repeating: "a", count: 63)))
        XCTAssertNil(PhotoID(hex: String(repeating: "g", count: 64)))
    }

    func testDigestBytesBecomeHex() {
        let id = PhotoID(digest: [0x00, 0x0f, 0xf0, 0xff] + [UInt8](repeating: 0x12, count: 28))
        XCTAssertTrue(id.hex.hasPrefix("000ff0ff1212"))
        XCTAssertEqual(id.short, "000ff0ff1212")
    }

    func testJSONRoundTripRejectsGarbage() throws {
        let id = PhotoID(digest: [UInt8](repeating: 7, count: 32))
        let data = try JSONEncoder().encode([id])
        XCTAssertEqual(try JSONDecoder().decode([PhotoID].self, from: data), [id])
        XCTAssertThrowsError(try JSONDecoder().decode([PhotoID].self, from: Data(#"["nothex"]"#.utf8)))
    }
}
