import FlukeCore
import FlukeMatch
@testable import FlukeStation
import XCTest

final class ConfigTests: XCTestCase {
    /// The config shipped in configs/ must always load.
    func testShippedConfigLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../configs/flukewatch.toml").standardizedFileURL.path
        let config = try ConfigLoader.load(path: path)
        XCTAssertEqual(config.stationID, "rv-example")
        XCTAssertEqual(config.stateDirectory, "/var/lib/flukewatch")
        XCTAssertEqual(config.dropFolders.map(\.camera), ["bow-camera", "stern-camera"])
        XCTAssertEqual(config.maxPixels, 150_000_000)
        XCTAssertEqual(config.databasePath, "/var/lib/flukewatch/flukewatch.sqlite")
    }

    func testEncounterAndUsefulnessKeysAndTheirErrors() throws {
        let config = try ConfigLoader.parse("""
            [identification]
            encounter_gap = 30
            min_fluke_width = 200
            min_sharpness = 55.5
            max_clipped = 0.1
            verify_every_photo = true
            fast_embedding = true
            views_at = "b2_out"
            """, file: "/etc/flukewatch/flukewatch.toml")
        XCTAssertEqual(config.encounterGap, 30)
        XCTAssertTrue(config.verifyEveryPhoto)
        XCTAssertFalse(StationConfig().verifyEveryPhoto, "by default a leader beyond doubt is not verified")
        XCTAssertTrue(config.fastEmbedding)
        XCTAssertEqual(config.recipe, .fastStation)
        XCTAssertEqual(StationConfig().recipe, .station, "by default every photo is embedded from five looks")
        XCTAssertEqual(config.viewsAt, "b2_out")
        XCTAssertEqual(StationConfig().viewsAt, "s8_c40", "by default the views are made at the stride-8 map (the 10 ms embedding)")
        XCTAssertEqual(StationConfig().recipe.viewsAt, "s8_c40")
        var inner = StationConfig()
        inner.viewsAt = "b2_out"
        XCTAssertEqual(inner.recipe.viewsAt, "b2_out")
        XCTAssertEqual(inner.recipe.views, MatchingRecipe.station.views)
        let onTheImage = try ConfigLoader.parse("[identification]\nviews_at = \"image\"\n", file: "f.toml")
        XCTAssertNil(onTheImage.viewsAt)
        XCTAssertEqual(onTheImage.recipe, .stationWithImageViews)
        XCTAssertNotEqual(onTheImage.recipe.featureVersionSuffix, MatchingRecipe.station.featureVersionSuffix,
                          "views on the image are another feature space than the default's")
        XCTAssertEqual(config.usefulness, PhotoUsefulness.Limits(minimumRegionWidth: 200, minimumSharpness: 55.5, maximumClipped: 0.1))
        XCTAssertEqual(StationConfig().encounterGap, 60)
        XCTAssertEqual(StationConfig().usefulness, .standard)
        for (line, key, says) in [("encounter_gap = -1", "encounter_gap", "expected seconds from 0 (off)"),
                                  ("max_clipped = 1.5", "max_clipped", "expected a fraction from 0 to 1"),
                                  ("min_sharpness = -3", "min_sharpness", "variance of the Laplacian"),
                                  ("verify_every_photo = 1", "verify_every_photo", "expected true or false"),
                                  ("fast_embedding = \"yes\"", "fast_embedding", "expected true or false"),
                                  ("views_at = \"b7_out\"", "views_at", "expected one of \"image\", \"b2_out\", \"s8_c40\""),
                                  ("views_at = 2", "views_at", "expected a quoted string")] {
            let e = try XCTUnwrap(error("[identification]\n\(line)\n"), line)
            XCTAssertEqual(e.line, 2, line)
            XCTAssertTrue("\(e)".contains("identification.\(key)") && "\(e)".contains(says), "\(e)")
        }
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(text, file: "/etc/flukewatch/flukewatch.toml")
            return nil
        } catch {
            return error
        }
    }

    func testUnknownKeyNamesFileLineAndKey() throws {
        let e = try XCTUnwrap(error("""
            [station]
            id = "boat"

            [[drop_folder]]
            path = "/srv/drop/a"
            cammera = "bow"
            """))
        XCTAssertEqual(e.file, "/etc/flukewatch/flukewatch.toml")
        XCTAssertEqual(e.line, 6)
        XCTAssertEqual(e.key, "drop_folder.cammera")
        XCTAssertTrue(e.message.contains("camera"), e.message)
        XCTAssertTrue(e.description.hasPrefix("/etc/flukewatch/flukewatch.toml:6: drop_folder.cammera:"), e.description)
    }

    func testWrongTypesAndRangesSayWhatWasExpected() throws {
        let workers = try XCTUnwrap(error("[processing]\nworkers = \"two\"\n"))
        XCTAssertEqual([workers.line], [2])
        XCTAssertEqual(workers.key, "processing.workers")
        XCTAssertTrue(workers.message.contains("whole number"))
        let zero = try XCTUnwrap(error("[processing]\n\nworkers = 0\n"))
        XCTAssertEqual(zero.line, 3)
        XCTAssertTrue(zero.message.contains("1 to 64"))
        let relative = try XCTUnwrap(error("[[drop_folder]]\npath = \"drop/a\"\n"))
        XCTAssertEqual(relative.key, "drop_folder.path")
        XCTAssertTrue(relative.message.contains("absolute"))
    }

    func testUnknownSectionAndSyntaxErrors() throws {
        let section = try XCTUnwrap(error("[stations]\nid = \"x\"\n"))
        XCTAssertEqual(section.key, "stations")
        XCTAssertEqual(section.line, 1)
        let syntax = try XCTUnwrap(error("[station]\nid = boat\n"))
        XCTAssertEqual(syntax.line, 2)
        XCTAssertTrue(syntax.message.contains("TOML syntax"))
    }

    func testDuplicateCameraAndMissingPath() throws {
        let dup = try XCTUnwrap(error("[[drop_folder]]\npath = \"/a\"\ncamera = \"c\"\n[[drop_folder]]\npath = \"/b\"\ncamera = \"c\"\n"))
        XCTAssertEqual(dup.line, 6)
        XCTAssertTrue(dup.message.contains("line 1"), dup.message)
        let missing = try XCTUnwrap(error("[[drop_folder]]\ncamera = \"c\"\n"))
        XCTAssertEqual(missing.key, "drop_folder.path")
    }

    func testEmptySectionsAreAcceptedAndBadValuesPinned() throws {
        XCTAssertNil(error("[hub]\n[review]\n[identification]\n"))
        let crop = try XCTUnwrap(error("[identification]\ncrop = \"tail\"\n"))
        XCTAssertEqual([crop.key, "\(crop.line)"], ["identification.crop", "2"])
        let e = try XCTUnwrap(error("[hub]\nurl = \"ftp://hub\"\n"))
        XCTAssertEqual(e.key, "hub.url")
        XCTAssertEqual(e.line, 2)
    }

    func testFlagsWorkWithoutAnyConfigFile() throws {
        let c = try ConfigResolver.resolve(ConfigOverrides(stateDirectory: "/tmp/fw-state", watches: ["/data/drop/bow=bow-cam", "/data/drop/stern"]),
                                           environment: [:], defaultPath: "/nonexistent/flukewatch.toml")
        XCTAssertEqual(c.stateDirectory, "/tmp/fw-state")
        XCTAssertEqual(c.dropFolders.map(\.path), ["/data/drop/bow", "/data/drop/stern"])
        XCTAssertEqual(c.dropFolders.map(\.camera.value), ["bow-cam", "stern"])
    }

    func testConfigComesFromFlagThenEnvironmentThenDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let a = dir.appendingPathComponent("a.toml").path, b = dir.appendingPathComponent("b.toml").path
        try "[station]\nid = \"from-a\"\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "[station]\nid = \"from-b\"\n".write(toFile: b, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ConfigResolver.resolve(ConfigOverrides(configPath: a), environment: ["FLUKEWATCH_CONFIG": b]).stationID, "from-a")
        XCTAssertEqual(try ConfigResolver.resolve(ConfigOverrides(), environment: ["FLUKEWATCH_CONFIG": b]).stationID, "from-b")
        XCTAssertEqual(try ConfigResolver.resolve(ConfigOverrides(), environment: [:], defaultPath: a).stationID, "from-a")
        XCTAssertThrowsError(try ConfigResolver.resolve(ConfigOverrides(), environment: [:], defaultPath: "/nonexistent.toml")) { e in
            XCTAssertTrue("\(e)".contains("--state-dir"))
        }
        // Flags override the file.
        let c = try ConfigResolver.resolve(ConfigOverrides(configPath: a, stateDirectory: "/tmp/x", workers: 3), environment: [:])
        XCTAssertEqual([c.stationID, c.stateDirectory, "\(c.workers)"], ["from-a", "/tmp/x", "3"])
    }
}
