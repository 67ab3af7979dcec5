import FlukeCore
import XCTest

final class PhotoUsefulnessTests: XCTestCase {
    let good = PhotoUsefulness(flukeFound: true, regionWidth: 1200, sharpness: 900, clippedHighlights: 0.01,
                               clippedShadows: 0.0, cutByFrame: false)

    func testAGoodPhotoIsUsableAndScoresAtLeastAHalf() {
        XCTAssertEqual(good.problems(), [])
        XCTAssertTrue(good.isUsable())
        XCTAssertGreaterThanOrEqual(good.score(), 0.5)
        XCTAssertEqual(good.gate(.new), .new)
        XCTAssertEqual(good.gate(.match), .match)
    }

    func testEachRuleNamesItsProblemAndBlocksANewCall() {
        var cases: [(PhotoUsefulness, String)] = []
        var p = good; p.flukeFound = false; cases.append((p, "no fluke found"))
        p = good; p.regionWidth = 90; cases.append((p, "only 90 px wide"))
        p = good; p.sharpness = 12; cases.append((p, "blurred (sharpness 12"))
        p = good; p.clippedHighlights = 0.3; cases.append((p, "30% of the fluke is blown out"))
        p = good; p.cutByFrame = true; cases.append((p, "cut by the edge of the frame"))
        for (photo, expected) in cases {
            let problems = photo.problems()
            XCTAssertEqual(problems.count, 1, "\(problems)")
            XCTAssertTrue(problems[0].contains(expected), problems[0])
            XCTAssertFalse(photo.isUsable())
            XCTAssertLessThan(photo.score(), 0.5, expected)
            XCTAssertEqual(photo.gate(.new), .uncertain, expected)
            // Nor is it a match: a person decides.
            XCTAssertEqual(photo.gate(.match), .uncertain)
            XCTAssertEqual(photo.gate(.uncertain), .uncertain)
        }
    }

    func testLimitsAreTheOperatorsToSet() {
        var blurry = good
        blurry.sharpness = 60
        XCTAssertFalse(blurry.isUsable())
        let lenient = PhotoUsefulness.Limits(minimumRegionWidth: 100, minimumSharpness: 50, maximumClipped: 0.5)
        XCTAssertTrue(blurry.isUsable(under: lenient))
        XCTAssertEqual(blurry.gate(.new, under: lenient), .new)
        XCTAssertEqual(blurry.score(under: lenient), 0.6, accuracy: 1e-9)   // 60 / 50 / 2: the weakest margin
    }
}
