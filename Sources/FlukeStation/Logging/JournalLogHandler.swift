import CSystemd
import Foundation
import Logging

/// Logs through the journal's native protocol (sd_journal_sendv) with structured fields, used
/// when stderr is connected to the journal (systemd sets `JOURNAL_STREAM` to its device:inode).
///
/// Metadata keys become upper-case fields (`photo_sha256` → `PHOTO_SHA256`, `event` →
/// `FLUKEWATCH_EVENT`), so `journalctl -u flukewatch FLUKEWATCH_EVENT=sighting` lists sightings
/// and `journalctl -o json` carries every detail.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = Self.fields(message: "\(event.message)", level: event.level, metadata: merged, identifier: "flukewatch")
        Self.send(fields)
    }

    /// The journal fields for one log line (a pure function, so it can be tested without journald).
    static func fields(message: String, level: Logger.Level, metadata: Logger.Metadata, identifier: String) -> [String] {
        var out = ["MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=\(identifier)"]
        for key in metadata.keys.sorted() {
            let value = "\(metadata[key]!)"
            if key == Logger.eventKey {
                out.append("FLUKEWATCH_EVENT=\(value)")
                if let kind = StationEvent(rawValue: value) { out.append("MESSAGE_ID=\(kind.messageID)") }
            } else if let name = fieldName(key) {
                out.append("\(name)=\(value)")
            }
        }
        return out
    }

    /// Journal field names are upper-case letters, digits and underscores, not starting with an
    /// underscore or a digit (those are reserved or invalid).
    static func fieldName(_ key: String) -> String? {
        let upper = key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = String(upper)
        guard let first = name.first, first.isLetter, name.count <= 64 else { return nil }
        return name
    }

    /// syslog priorities: 2 critical … 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func send(_ fields: [String]) {
        // C copies that stay put for the duration of the call (fields may hold newlines; the
        // native protocol carries them as they are).
        let copies = fields.map { strdup($0)! }
        defer { copies.forEach { free($0) } }
        let vectors = copies.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        _ = sd_journal_sendv(vectors, Int32(vectors.count))
    }

    /// True when stderr is the journal stream systemd gave us (JOURNAL_STREAM=dev:inode).
    public static var stderrIsJournal: Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":").compactMap { UInt64($0) }
        guard parts.count == 2 else { return false }
        var st = stat()
        guard fstat(STDERR_FILENO, &st) == 0 else { return false }
        return UInt64(st.st_dev) == parts[0] && UInt64(st.st_ino) == parts[1]
    }
}
