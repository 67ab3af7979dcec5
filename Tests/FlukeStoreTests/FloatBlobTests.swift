import FlukeStore
import Foundation
import XCTest

/// The stored vector format: little-endian Float32, bit for bit, whatever the values.
final class FloatBlobTests: XCTestCase {
    func testTheBlobIsLittleEndianFloat32() {
        XCTAssertEqual([UInt8](FloatBlob.encode([1.0, -2.5])), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])
        XCTAssertEqual(FloatBlob.decode(Data([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])), [1.0, -2.5])
    }

    func testEveryBitPatternSurvivesTheRoundTrip() {
        let special: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFA0_0001)]
        var generator = SystemRandomNumberGenerator()
        let vector = special + (0..<15_680).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)) }
        let blob = FloatBlob.encode(vector)
        XCTAssertEqual(blob.count, vector.count * 4)
        XCTAssertEqual(FloatBlob.decode(blob).map(\.bitPattern), vector.map(\.bitPattern))
    }

    func testASliceAndAShortTailDecode() {
        let blob = FloatBlob.encode([3, 4, 5])
        XCTAssertEqual(FloatBlob.decode(blob.dropFirst(4)), [4, 5], "a Data slice starts past index 0")
        XCTAssertEqual(FloatBlob.decode(blob.dropLast(1)), [3, 4], "trailing bytes short of a float are ignored")
        XCTAssertEqual(FloatBlob.decode(Data()), [])
    }
}
