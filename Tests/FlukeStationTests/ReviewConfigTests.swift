@testable import FlukeStation
import XCTest

/// The `[review]` section: its keys, their checks, and errors that name the line.
final class ReviewConfigTests: XCTestCase {
    func parse(_ text: String) throws(ConfigError) -> StationConfig {
        try ConfigLoader.parse(text, file: "/etc/flukewatch/flukewatch.toml")
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    func testReviewKeysAreReadAndAutoConfirmIsOffByDefault() throws {
        XCTAssertNil(try parse("[station]\nid = \"boat\"\n").review.autoConfirmAbove)
        XCTAssertNil(try parse("[review]\n").review.autoConfirmAbove)
        let config = try parse("[review]\nauto_confirm_above = 0.92\nreviewer = \"Ana\"\n")
        XCTAssertEqual(config.review, ReviewPolicy(autoConfirmAbove: 0.92, reviewer: "Ana"))
        XCTAssertEqual(try parse("[review]\nauto_confirm_above = 1\n").review.autoConfirmAbove, 1.0)
    }

    func testBadReviewKeysNameTheLineAndSayWhatIsExpected() throws {
        let typo = try XCTUnwrap(error("[station]\nid = \"boat\"\n\n[review]\nauto_confirm = 0.9\n"))
        XCTAssertEqual(typo.line, 5)
        XCTAssertEqual(typo.key, "review.auto_confirm")
        XCTAssertTrue(typo.message.contains("auto_confirm_above"), typo.message)

        let range = try XCTUnwrap(error("[review]\nauto_confirm_above = 92\n"))
        XCTAssertEqual(range.line, 2)
        XCTAssertEqual(range.key, "review.auto_confirm_above")
        XCTAssertTrue(range.message.contains("-1 to 1"), range.message)

        let type = try XCTUnwrap(error("[review]\n\nauto_confirm_above = \"high\"\n"))
        XCTAssertEqual(type.line, 3)
        XCTAssertTrue(type.message.contains("expected a number"), type.message)

        let empty = try XCTUnwrap(error("[review]\nreviewer = \"  \"\n"))
        XCTAssertEqual(empty.key, "review.reviewer")
        XCTAssertTrue(empty.message.contains("empty"), empty.message)

        let reserved = try XCTUnwrap(error("[review]\nreviewer = \"auto\"\n"))
        XCTAssertEqual(reserved.line, 2)
        XCTAssertTrue(reserved.message.contains("reserved"), reserved.message)
        XCTAssertTrue(reserved.description.hasPrefix("/etc/flukewatch/flukewatch.toml:2: review.reviewer:"), reserved.description)
    }

    func testReviewerNameFallsBackFromFlagToConfigToLogin() throws {
        var config = StationConfig()
        XCTAssertEqual(config.reviewerName(flag: nil, environment: ["USER": "deckhand"]), "deckhand")
        XCTAssertEqual(config.reviewerName(flag: nil, environment: ["LOGNAME": "skipper"]), "skipper")
        config.review.reviewer = "Ana"
        XCTAssertEqual(config.reviewerName(flag: nil, environment: ["USER": "deckhand"]), "Ana")
        XCTAssertEqual(config.reviewerName(flag: "Bo", environment: ["USER": "deckhand"]), "Bo")
        config.stationID = "rv-tursiops"
        XCTAssertEqual(config.provisionalIndividualPrefix, "P-rv-tursiops-")
    }
}
