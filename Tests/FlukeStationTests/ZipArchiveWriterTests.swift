import FlukeStation
import Foundation
import XCTest

final class ZipArchiveWriterTests: XCTestCase {
    func testPythonReadsTheEntriesBackByteForByte() throws {
        var zip = ZipArchiveWriter(modified: Date(timeIntervalSince1970: 1_784_030_400))
        let text = Array("baleia-jubarte, Megaptera novaeangliae\n".utf8)
        let binary = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try zip.add("notes/baleia ç.txt", text)
        try zip.add("data.bin", binary)
        try zip.add("empty", [])
        XCTAssertThrowsError(try zip.add("data.bin", [1]), "a name twice would shadow an entry")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-zip-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("t.zip").path
        try Data(zip.finished()).write(to: URL(fileURLWithPath: path))

        let listing = try runPython(["-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            for i in z.infolist(): print(i.filename, i.file_size, i.compress_type, i.date_time[:3])
            """, path])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        XCTAssertEqual(listing.lines, ["notes/baleia ç.txt \(text.count) 0 (2026, 7, 14)", "data.bin 70000 0 (2026, 7, 14)",
                                       "empty 0 0 (2026, 7, 14)"])
        let out = try unzipWithPython(path)
        XCTAssertEqual(Array(try Data(contentsOf: out.appendingPathComponent("data.bin"))), binary)
        XCTAssertEqual(Array(try Data(contentsOf: out.appendingPathComponent("notes/baleia ç.txt"))), text)
    }
}
