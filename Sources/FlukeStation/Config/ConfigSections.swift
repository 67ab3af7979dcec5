import FlukeCore
import FlukeMatch
import Foundation

/// One reader per section of `flukewatch.toml`: each checks its keys' values, stores them in the
/// StationConfig and fails on a key it does not know (TableReader.finish).
extension ConfigLoader {
    /// [station]: the station's id and name.
    static func readStation(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.string("id") {
            guard v.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
                throw s.error("id", "expected letters, digits, '.', '_' or '-' (1–64 characters), got \"\(v)\"")
            }
            config.stationID = v
        }
        if let v = try s.string("name") { config.stationName = v }
        try s.finish()
    }

    /// [storage]: where the database, photos and quarantine live.
    static func readStorage(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.string("state_dir") {
            guard v.hasPrefix("/") || v.hasPrefix(".") else {
                throw s.error("state_dir", "expected an absolute path (or one starting with ./), got \"\(v)\"")
            }
            config.stateDirectory = v
        }
        try s.finish()
    }

    /// [intake]: when a dropped file counts as complete, and how large it may be.
    static func readIntake(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.number("settle_seconds", in: 0...3600, unit: "seconds") { config.settleSeconds = v }
        if let v = try s.integer("max_pixels") {
            guard v >= 1_000_000 else { throw s.error("max_pixels", "expected at least 1000000 pixels, got \(v)") }
            config.maxPixels = v
        }
        try s.finish()
    }

    /// [processing]: workers and image sizes.
    static func readProcessing(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.integer("workers", in: 1...64) { config.workers = v }
        if let v = try s.integer("thumbnail_size", in: 64...2048, unit: "pixels") { config.thumbnailSize = v }
        if let v = try s.integer("analysis_size", in: 256...8192, unit: "pixels") { config.analysisSize = v }
        try s.finish()
    }

    /// [logging]: the journal's level.
    static func readLogging(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.string("level") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v) else { throw s.error("level", "expected one of \(levels.joined(separator: ", ")), got \"\(v)\"") }
            config.logLevel = v
        }
        try s.finish()
    }

    /// [[drop_folder]]: each watched folder and its camera label, which must be unique.
    static func readDropFolders(_ root: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        var cameras: [String: Int] = [:]
        for var folder in try root.arrayOfTables("drop_folder") {
            guard let path = try folder.string("path") else { throw folder.error("path", "every [[drop_folder]] needs a path") }
            guard path.hasPrefix("/") else { throw folder.error("path", "expected an absolute path, got \"\(path)\"") }
            let camera = try folder.string("camera") ?? (path as NSString).lastPathComponent
            if let first = cameras[camera] {
                throw folder.error("camera", "camera \"\(camera)\" is already used by the drop folder on line \(first); give each folder its own camera label")
            }
            cameras[camera] = folder.table.line
            let recursive = try folder.bool("recursive") ?? true
            try folder.finish()
            config.dropFolders.append(.init(path: path, camera: CameraLabel(camera), recursive: recursive))
        }
    }

    /// [identification]: model, crop, ranking thresholds, encounters and the usefulness gate.
    static func readIdentification(_ s: inout TableReader, into config: inout StationConfig) throws(ConfigError) {
        if let v = try s.string("model_dir") {
            guard v.hasPrefix("/") else { throw s.error("model_dir", "expected an absolute path, got \"\(v)\"") }
            config.modelDirectory = v
        }
        if let v = try s.string("crop") {
            guard let mode = ["fluke": true, "none": false][v] else { throw s.error("crop", "expected \"fluke\" or \"none\", got \"\(v)\"") }
            config.cropToFluke = mode
        }
        if let v = try s.integer("top_k", in: 1...50) { config.topK = v }
        if let v = try s.number("threshold_new") {
            guard StationScore.range.contains(v) else { throw s.error("threshold_new", "expected \(StationScore.explained), got \(v)") }
            config.thresholdNew = v
        }
        if let v = try s.number("threshold_match") {
            guard StationScore.range.contains(v) else { throw s.error("threshold_match", "expected \(StationScore.explained), got \(v)") }
            config.thresholdMatch = v
        }
        if let v = try s.number("encounter_gap") {
            guard (0...86_400).contains(v) else { throw s.error("encounter_gap", "expected seconds from 0 (off) to 86400, got \(v)") }
            config.encounterGap = v
        }
        if let v = try s.bool("verify_every_photo") { config.verifyEveryPhoto = v }
        if let v = try s.bool("fast_embedding") { config.fastEmbedding = v }
        if let v = try s.string("views_at") {
            let places = MatchingRecipe.viewPlaces
            guard places.contains(v) else {
                throw s.error("views_at", "expected one of \(places.map { "\"\($0)\"" }.joined(separator: ", ")), got \"\(v)\"")
            }
            config.viewsAt = MatchingRecipe.viewsAt(place: v)
        }
        if let v = try s.integer("min_fluke_width") {
            guard (0...100_000).contains(v) else { throw s.error("min_fluke_width", "expected pixels from 0 to 100000, got \(v)") }
            config.usefulness.minimumRegionWidth = v
        }
        if let v = try s.number("min_sharpness") {
            guard v >= 0 else { throw s.error("min_sharpness", "expected a variance of the Laplacian of 0 or more, got \(v)") }
            config.usefulness.minimumSharpness = v
        }
        if let v = try s.number("max_clipped") {
            guard (0...1).contains(v) else { throw s.error("max_clipped", "expected a fraction from 0 to 1, got \(v)") }
            config.usefulness.maximumClipped = v
        }
        if let n = config.thresholdNew, let m = config.thresholdMatch, m < n {
            throw s.error("threshold_match", "must be at least threshold_new (\(n)), got \(m)")
        }
        try s.finish()
    }
}
