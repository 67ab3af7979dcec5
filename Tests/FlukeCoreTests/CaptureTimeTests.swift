import FlukeCore
import XCTest

final class CaptureTimeTests: XCTestCase {
    func testISO8601KeepsTheCameraOffset() {
        // 2026-07-14 12:00:00 UTC, taken at UTC-3.
        let t = CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400), utcOffsetSeconds: -3 * 3600, source: .exif)
        XCTAssertEqual(t.iso8601, "2026-07-14T09:00:00-03:00")
        XCTAssertFalse(t.isFallback)
    }

    func testUnknownOffsetIsWrittenAsUTC() {
        let t = CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400.25), utcOffsetSeconds: nil, source: .fileModificationTime)
        XCTAssertEqual(t.iso8601, "2026-07-14T12:00:00.250Z")
        XCTAssertTrue(t.isFallback)
    }

    func testQuarantineReasonsSpeakToTheOperator() {
        let r = QuarantineReason.tooManyPixels(width: 60000, height: 60000, limit: 150_000_000)
        XCTAssertEqual(r.code, "too-many-pixels")
        XCTAssertTrue(r.explanation.contains("intake.max_pixels"))
    }
}
