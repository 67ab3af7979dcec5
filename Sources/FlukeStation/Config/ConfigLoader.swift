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
        if var s = try r.table("station") { try readStation(&s, into: &config) }
        if var s = try r.table("storage") { try readStorage(&s, into: &config) }
        if var s = try r.table("intake") { try readIntake(&s, into: &config) }
        if var s = try r.table("processing") { try readProcessing(&s, into: &config) }
        if var s = try r.table("logging") { try readLogging(&s, into: &config) }
        try readDropFolders(&r, into: &config)
        if var s = try r.table("identification") { try readIdentification(&s, into: &config) }
        if var s = try r.table("review") { config.review = try ReviewPolicy.read(&s) }
        if var s = try r.table("hub") { config.hub = try HubSettings.read(&s) }
        try r.finish()
        return config
    }
}
