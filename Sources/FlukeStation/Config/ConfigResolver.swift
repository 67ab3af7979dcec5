import FlukeCore
import Foundation

/// What the command line says about configuration. Flags override the file.
public struct ConfigOverrides: Sendable {
    public var configPath: String?
    public var stateDirectory: String?
    /// `DIR` or `DIR=CAMERA`; when any is given they replace the file's drop folders.
    public var watches: [String]
    public var workers: Int?

    public init(configPath: String? = nil, stateDirectory: String? = nil, watches: [String] = [], workers: Int? = nil) {
        self.configPath = configPath
        self.stateDirectory = stateDirectory
        self.watches = watches
        self.workers = workers
    }
}

/// Finds and reads the config: `--config PATH`, else `$FLUKEWATCH_CONFIG`, else
/// `/etc/flukewatch/flukewatch.toml`. With `--state-dir` (and `--watch` for `run`) and neither of
/// the first two, no file is read at all: built-in defaults plus the flags.
public enum ConfigResolver {
    public static func resolve(_ o: ConfigOverrides,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               defaultPath: String = StationConfig.defaultPath) throws(ConfigError) -> StationConfig {
        var config: StationConfig
        if let explicit = o.configPath ?? environment["FLUKEWATCH_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            config = try ConfigLoader.load(path: explicit)
        } else if o.stateDirectory != nil {
            config = StationConfig()
        } else if FileManager.default.fileExists(atPath: defaultPath) {
            config = try ConfigLoader.load(path: defaultPath)
        } else {
            throw ConfigError(file: defaultPath, line: 0, key: "",
                              message: "no config file here; pass --config PATH, set FLUKEWATCH_CONFIG, or pass --state-dir DIR (and --watch DIR[=CAMERA]) to run without one")
        }
        if let dir = o.stateDirectory { config.stateDirectory = absolute(dir) }
        if let w = o.workers {
            guard (1...64).contains(w) else {
                throw ConfigError(file: "--workers", line: 0, key: "", message: "expected 1 to 64 workers, got \(w)")
            }
            config.workers = w
        }
        if !o.watches.isEmpty {
            var folders: [StationConfig.DropFolder] = []
            for spec in o.watches {
                let folder = try parseWatch(spec)
                if folders.contains(where: { $0.camera == folder.camera }) {
                    throw ConfigError(file: "--watch", line: 0, key: "",
                                      message: "camera \"\(folder.camera)\" is given twice; name each folder's camera: --watch DIR=CAMERA")
                }
                folders.append(folder)
            }
            config.dropFolders = folders
        }
        return config
    }

    /// `DIR` or `DIR=CAMERA` (the camera defaults to the folder's name).
    public static func parseWatch(_ spec: String) throws(ConfigError) -> StationConfig.DropFolder {
        var dir = spec
        var camera: String?
        if let eq = spec.lastIndex(of: "="), !spec[spec.index(after: eq)...].contains("/") {
            dir = String(spec[..<eq])
            camera = String(spec[spec.index(after: eq)...])
        }
        guard !dir.isEmpty else {
            throw ConfigError(file: "--watch", line: 0, key: "", message: "expected DIR or DIR=CAMERA, got \"\(spec)\"")
        }
        let path = absolute(dir)
        let label = (camera?.isEmpty == false ? camera! : (path as NSString).lastPathComponent)
        return StationConfig.DropFolder(path: path, camera: CameraLabel(label), recursive: true)
    }

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        let cwd = FileManager.default.currentDirectoryPath
        return ((cwd as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }
}
