import FlukeStore
import Foundation

/// A Darwin Core Archive of the station's sightings, as GBIF and OBIS ingest them: an
/// occurrence core (`occurrence.txt`, tab-separated, one header line), `meta.xml` mapping each
/// column to its term, and `eml.xml` describing the dataset.
///
/// An occurrence core rather than event core + extension: each sighting is one photo at one
/// time and place, and the station does not group photos into encounters yet.
public struct DarwinCoreArchive {
    public struct Summary: Codable, Sendable, Equatable {
        public var occurrences: Int
        /// Sightings in the period that were left out (open, rejected, not identified).
        public var skipped: Int
        public var path: String
    }

    public var stationName: String
    public var stationID: String
    /// Also publish sightings nobody has reviewed (as unverified machine observations).
    public var includeOpen: Bool

    public init(stationName: String, stationID: String, includeOpen: Bool = false) {
        self.stationName = stationName
        self.stationID = stationID
        self.includeOpen = includeOpen
    }

    static let coreFile = "occurrence.txt"

    /// Writes the archive to `path` atomically (a half-written zip never replaces a good one).
    public func write(_ sightings: [ExportedSighting], to path: String, now: Date = Date()) throws -> Summary {
        let published = sightings.filter { DarwinCoreOccurrence.isPublished($0, includeOpen: includeOpen) }
        var zip = ZipArchiveWriter(modified: now)
        try zip.add("meta.xml", Array(metaXML().utf8))
        try zip.add("eml.xml", Array(EMLDocument(title: "Humpback whale photo-identification sightings from \(stationName)",
                                                 stationName: stationName, stationID: stationID,
                                                 sightings: published, published: now).xml().utf8))
        try zip.add(Self.coreFile, Array(occurrenceTable(published).utf8))
        try Data(zip.finished()).write(to: URL(fileURLWithPath: path), options: .atomic)
        return Summary(occurrences: published.count, skipped: sightings.count - published.count, path: path)
    }

    func occurrenceTable(_ sightings: [ExportedSighting]) -> String {
        let context = DarwinCoreOccurrence.Context(stationName: stationName)
        var lines = [DarwinCoreOccurrence.columns.map(\.term).joined(separator: "\t")]
        for s in sightings {
            lines.append(DarwinCoreOccurrence.columns.map { Self.field($0.value(s, context)) }.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Fields are not quoted (meta.xml says so), so a tab or line break inside one would split it.
    static func field(_ value: String?) -> String {
        guard let value else { return "" }
        return String(value.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    func metaXML() -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="eml.xml">
              <core encoding="UTF-8" fieldsTerminatedBy="\\t" linesTerminatedBy="\\n" fieldsEnclosedBy="" ignoreHeaderLines="1" rowType="http://rs.tdwg.org/dwc/terms/Occurrence">
                <files>
                  <location>\(Self.coreFile)</location>
                </files>
                <id index="0"/>

            """
        for (index, column) in DarwinCoreOccurrence.columns.enumerated() {
            xml += "    <field index=\"\(index)\" term=\"\(DarwinCoreOccurrence.namespace)\(column.term)\"/>\n"
        }
        xml += "  </core>\n</archive>\n"
        return xml
    }
}

enum XMLText {
    static func escaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
