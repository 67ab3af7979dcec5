import Foundation

/// A catalog listing: `file,individual` with an optional `name` column, as researchers keep it
/// in a spreadsheet. Paths are absolute or relative to the CSV's folder (or its `images/`).
public struct CatalogCSV: Sendable {
    public struct Row: Sendable, Equatable {
        public var line: Int
        public var file: String
        public var individual: String
        public var name: String?
    }

    /// A row that cannot be used, with its line: reported and skipped, never half-imported.
    public struct RowProblem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public var rows: [Row]
    public var problems: [RowProblem]

    public enum HeaderError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case missingColumns(String, found: [String])

        public var description: String {
            switch self {
            case .unreadable(let path, let why): "cannot read \(path): \(why)"
            case .missingColumns(let path, let found):
                "\(path):1: the header must name the columns file and individual (optionally name); found \(found.joined(separator: ", "))"
            }
        }
    }

    public static func load(path: String) throws -> CatalogCSV {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw HeaderError.unreadable(path, error.localizedDescription)
        }
        return try parse(text, path: path, baseDirectory: (path as NSString).deletingLastPathComponent)
    }

    public static func parse(_ text: String, path: String, baseDirectory: String) throws -> CatalogCSV {
        let records = CSVRecords.split(text)
        guard let header = records.first else { throw HeaderError.missingColumns(path, found: []) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let fileColumn = columns.firstIndex(of: "file"), let idColumn = columns.firstIndex(of: "individual") else {
            throw HeaderError.missingColumns(path, found: columns)
        }
        let nameColumn = columns.firstIndex(of: "name")
        var out = CatalogCSV(rows: [], problems: [])
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard record.fields.count == columns.count else {
                out.problems.append(.init(line: record.line, message: "expected \(columns.count) columns, found \(record.fields.count)"))
                continue
            }
            let file = record.fields[fileColumn].trimmingCharacters(in: .whitespaces)
            let individual = record.fields[idColumn].trimmingCharacters(in: .whitespaces)
            guard !file.isEmpty else { out.problems.append(.init(line: record.line, message: "the file column is empty")); continue }
            guard !individual.isEmpty else {
                out.problems.append(.init(line: record.line, message: "the individual column is empty for \(file)"))
                continue
            }
            guard individual != "new_whale" else {
                out.problems.append(.init(line: record.line, message: "\(file) is labelled new_whale: a catalog holds known individuals only"))
                continue
            }
            let standardized = Self.resolve(file, baseDirectory: baseDirectory)
            if let first = seen[standardized] {
                out.problems.append(.init(line: record.line, message: "\(file) is listed again (first on line \(first))"))
                continue
            }
            seen[standardized] = record.line
            let name = nameColumn.map { record.fields[$0].trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            out.rows.append(Row(line: record.line, file: standardized, individual: individual, name: name))
        }
        return out
    }
}

extension CatalogCSV {
    /// Absolute paths as they are; relative ones against the CSV's folder, or its `images/`
    /// subfolder when the file is there instead (the layout labelled sets are often shipped in).
    static func resolve(_ file: String, baseDirectory: String) -> String {
        if file.hasPrefix("/") { return (file as NSString).standardizingPath }
        let direct = ((baseDirectory as NSString).appendingPathComponent(file) as NSString).standardizingPath
        if FileManager.default.fileExists(atPath: direct) { return direct }
        let nested = (((baseDirectory as NSString).appendingPathComponent("images") as NSString).appendingPathComponent(file) as NSString).standardizingPath
        return FileManager.default.fileExists(atPath: nested) ? nested : direct
    }
}

/// RFC 4180 records: commas, double-quoted fields with "" escapes and embedded newlines, CRLF.
enum CSVRecords {
    struct Record {
        var line: Int
        var fields: [String]
    }

    static func split(_ text: String) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: inQuotes = true
            case ",": fields.append(field); field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        // A UTF-8 byte-order mark from a spreadsheet export must not hide the first column name.
        if var first = records.first?.fields.first, first.hasPrefix("\u{FEFF}") {
            first.removeFirst()
            records[0].fields[0] = first
        }
        return records
    }
}
