import FlukeCore
import Foundation

/// Reads `flukewatch.toml` into a StationConfig. Unknown keys and sections are errors: a typo
/// must not silently disable a camera.
public enum ConfigLoader {
    public static func load(path: String) throws(ConfigError) -> StationConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, key: "",
                              message: "cannot read the config file (\(error.localizedDescription)); check the path and its permissions")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> StationConfig {
        let root: TOMLTable
        do {
            root = try TOMLDocument.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, key: "", message: "TOML syntax: \(error.message)")
        }
        var config = StationConfig()
        var r = TableReader(table: root, file: file, prefix: "")
        if var s = try r.table("station") {
            if let v = try s.string("id") {
                guard v.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
                    throw s.error("id", "expected letters, digits, '.', '_' or '-' (1–64 characters), got \"\(v)\"")
                }
                config.stationID = v
            }
            if let v = try s.string("name") { config.stationName = v }
            try s.finish()
        }
        if var s = try r.table("storage") {
            if let v = try s.string("state_dir") {
                guard v.hasPrefix("/") || v.hasPrefix(".") else {
                    throw s.error("state_dir", "expected an absolute path (or one starting with ./), got \"\(v)\"")
                }
                config.stateDirectory = v
            }
            try s.finish()
        }
        if var s = try r.table("intake") {
            if let v = try s.number("settle_seconds") {
                guard v >= 0, v <= 3600 else { throw s.error("settle_seconds", "expected 0 to 3600 seconds, got \(v)") }
                config.settleSeconds = v
            }
            if let v = try s.integer("max_pixels") {
                guard v >= 1_000_000 else { throw s.error("max_pixels", "expected at least 1000000 pixels, got \(v)") }
                config.maxPixels = v
            }
            try s.finish()
        }
        if var s = try r.table("processing") {
            if let v = try s.integer("workers") {
                guard (1...64).contains(v) else { throw s.error("workers", "expected 1 to 64, got \(v)") }
                config.workers = v
            }
            if let v = try s.integer("thumbnail_size") {
                guard (64...2048).contains(v) else { throw s.error("thumbnail_size", "expected 64 to 2048 pixels, got \(v)") }
                config.thumbnailSize = v
            }
            if let v = try s.integer("analysis_size") {
                guard (256...8192).contains(v) else { throw s.error("analysis_size", "expected 256 to 8192 pixels, got \(v)") }
                config.analysisSize = v
            }
            try s.finish()
        }
        if var s = try r.table("logging") {
            if let v = try s.string("level") {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(v) else { throw s.error("level", "expected one of \(levels.joined(separator: ", ")), got \"\(v)\"") }
                config.logLevel = v
            }
            try s.finish()
        }
        var cameras: [String: Int] = [:]
        for var folder in try r.arrayOfTables("drop_folder") {
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
        if var s = try r.table("identification") {
            if let v = try s.string("model_dir") {
                guard v.hasPrefix("/") else { throw s.error("model_dir", "expected an absolute path, got \"\(v)\"") }
                config.modelDirectory = v
            }
            if let v = try s.string("crop") {
                guard let mode = ["fluke": true, "none": false][v] else { throw s.error("crop", "expected \"fluke\" or \"none\", got \"\(v)\"") }
                config.cropToFluke = mode
            }
            if let v = try s.integer("top_k") {
                guard (1...50).contains(v) else { throw s.error("top_k", "expected 1 to 50, got \(v)") }
                config.topK = v
            }
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
        if var s = try r.table("review") { config.review = try ReviewPolicy.read(&s) }
        if var s = try r.table("hub") { config.hub = try HubSettings.read(&s) }
        try r.finish()
        return config
    }
}

/// Reads one table, remembering which keys were used so the rest can be reported as unknown.
struct TableReader {
    let table: TOMLTable
    let file: String
    let prefix: String
    var used: Set<String> = []

    init(table: TOMLTable, file: String, prefix: String) {
        self.table = table
        self.file = file
        self.prefix = prefix
    }

    func qualified(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: table[key]?.line ?? table.line, key: qualified(key), message: message)
    }

    mutating func value(_ key: String) -> TOMLValue? {
        used.insert(key)
        return table[key]?.value
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s)?: return s
        case let other?: throw error(key, "expected a quoted string, got \(other.typeName)")
        }
    }

    mutating func integer(_ key: String) throws(ConfigError) -> Int? {
        switch value(key) {
        case nil: return nil
        case .integer(let v)?: return v
        case let other?: throw error(key, "expected a whole number, got \(other.typeName)")
        }
    }

    mutating func number(_ key: String) throws(ConfigError) -> Double? {
        switch value(key) {
        case nil: return nil
        case .integer(let v)?: return Double(v)
        case .float(let v)?: return v
        case let other?: throw error(key, "expected a number, got \(other.typeName)")
        }
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let v)?: return v
        case let other?: throw error(key, "expected true or false, got \(other.typeName)")
        }
    }

    mutating func table(_ key: String) throws(ConfigError) -> TableReader? {
        switch value(key) {
        case nil: return nil
        case .table(let t)?: return TableReader(table: t, file: file, prefix: qualified(key))
        case let other?: throw error(key, "expected a [\(qualified(key))] section, got \(other.typeName)")
        }
    }

    mutating func arrayOfTables(_ key: String) throws(ConfigError) -> [TableReader] {
        switch value(key) {
        case nil: return []
        case .array(let items)?:
            var out: [TableReader] = []
            for item in items {
                guard case .table(let t) = item else { throw error(key, "expected [[\(qualified(key))]] sections") }
                out.append(TableReader(table: t, file: file, prefix: qualified(key)))
            }
            return out
        case let other?: throw error(key, "expected [[\(qualified(key))]] sections, got \(other.typeName)")
        }
    }

    /// Fails on the first key that no reader asked for.
    func finish(note: String? = nil) throws(ConfigError) {
        guard let unknown = table.entries.first(where: { !used.contains($0.key) }) else { return }
        let known = used.sorted().joined(separator: ", ")
        let where_ = prefix.isEmpty ? "at the top level" : "in [\(prefix)]"
        let hint = note ?? (known.isEmpty ? "this section takes no keys" : "expected one of: \(known)")
        throw ConfigError(file: file, line: unknown.line, key: qualified(unknown.key),
                          message: "unknown key \(where_) (\(hint))")
    }
}
