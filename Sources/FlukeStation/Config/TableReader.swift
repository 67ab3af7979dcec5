import Foundation

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

    /// A whole number that must lie in `range`; outside it the error reads, for example,
    /// "expected 64 to 2048 pixels, got 4000".
    mutating func integer(_ key: String, in range: ClosedRange<Int>, unit: String? = nil) throws(ConfigError) -> Int? {
        guard let v = try integer(key) else { return nil }
        guard range.contains(v) else { throw error(key, expected(range, unit, got: "\(v)")) }
        return v
    }

    /// A number (whole or not) that must lie in `range`, which is written with whole bounds.
    mutating func number(_ key: String, in range: ClosedRange<Int>, unit: String) throws(ConfigError) -> Double? {
        guard let v = try number(key) else { return nil }
        guard v >= Double(range.lowerBound), v <= Double(range.upperBound) else { throw error(key, expected(range, unit, got: "\(v)")) }
        return v
    }

    private func expected(_ range: ClosedRange<Int>, _ unit: String?, got value: String) -> String {
        "expected \(range.lowerBound) to \(range.upperBound)\(unit.map { " \($0)" } ?? ""), got \(value)"
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
