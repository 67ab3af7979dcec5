import Foundation
import Logging

/// Readable log lines on stderr, for a terminal or a plain log file:
/// `12:04:31 warning intake: quarantined photo 3fa1c2… (…) event=quarantine photo_path=/…`.
/// Metadata keys are lower snake case and map one-to-one onto journal fields (upper case).
public struct StationLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let withTime: Bool

    public init(label: String, level: Logger.Level, withTime: Bool) {
        self.label = label
        self.logLevel = level
        self.withTime = withTime
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = ""
        if withTime {
            var t = time(nil)
            var tmv = tm()
            localtime_r(&t, &tmv)
            line += String(format: "%02d:%02d:%02d ", tmv.tm_hour, tmv.tm_min, tmv.tm_sec)
        }
        line += "\(event.level) \(label): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            let value = "\(merged[key]!)"
            line += value.contains(" ") ? " \(key)=\"\(value)\"" : " \(key)=\(value)"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Installs the process's log handler (once, before any logger is made): the journal's
    /// native protocol when stderr is the journal, readable lines on stderr otherwise.
    public static func bootstrap(level: Logger.Level) {
        if JournalLogHandler.stderrIsJournal {
            LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        } else {
            LoggingSystem.bootstrap { label in StationLogHandler(label: label, level: level, withTime: true) }
        }
    }

    public static func level(named name: String) -> Logger.Level {
        switch name {
        case "trace": .trace
        case "debug": .debug
        case "notice": .notice
        case "warning": .warning
        case "error": .error
        case "critical": .critical
        default: .info
        }
    }
}

extension Logger {
    public static let eventKey = "event"
}
