/// A small TOML reader that remembers the line of every key, so a bad config can be reported as
/// `file:line: key: what was expected`. It reads what FlukeWatch's config uses: tables, arrays of
/// tables, dotted keys, strings (basic, literal, multi-line), integers, floats, booleans, arrays
/// and inline tables. Dates are not needed and are rejected with a clear message.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "true or false"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A table whose entries keep their order and source line.
public struct TOMLTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TOMLValue
        public var line: Int
    }

    public var entries: [Entry] = []
    /// Line of the `[header]` that opened this table (0 for the root).
    public var line: Int = 0

    public subscript(key: String) -> Entry? { entries.first { $0.key == key } }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else {
            entries.append(Entry(key: key, value: value, line: line))
        }
    }
}

public struct TOMLSyntaxError: Error, Equatable, Sendable {
    public var line: Int
    public var message: String
}

public enum TOMLDocument {
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var p = TOMLParser(Array(text.unicodeScalars))
        return try p.parseDocument()
    }
}

struct TOMLParser {
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var root = TOMLTable()
    /// Path of the table that `key = value` lines currently go into; `arrayIndex` marks
    /// components that address the last element of an array of tables.
    var current: [String] = []

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func fail(_ message: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, message: message) }

    var atEnd: Bool { i >= s.count }
    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    mutating func skipSpaces() {
        while let c = peek, c == " " || c == "\t" { i += 1 }
    }

    mutating func skipComment() {
        if peek == "#" { while let c = peek, c != "\n" { i += 1 } }
    }

    /// Spaces, comments and newlines (inside arrays).
    mutating func skipBlank() {
        while let c = peek {
            if c == " " || c == "\t" || c == "\r" { i += 1 } else if c == "\n" { i += 1; line += 1 } else if c == "#" { skipComment() } else { break }
        }
    }

    mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        skipComment()
        if peek == "\r" { i += 1 }
        if atEnd { return }
        guard peek == "\n" else { throw fail("unexpected text after the value: \(String(String.UnicodeScalarView(s[i..<min(s.count, i + 20)])))") }
        i += 1
        line += 1
    }

    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        while !atEnd {
            skipBlank()
            guard let c = peek else { break }
            if c == "[" {
                let headerLine = line
                i += 1
                let isArray = peek == "["
                if isArray { i += 1 }
                skipSpaces()
                let path = try parseKey()
                skipSpaces()
                guard peek == "]" else { throw fail("expected ] to close the table header") }
                i += 1
                if isArray {
                    guard peek == "]" else { throw fail("expected ]] to close the array-of-tables header") }
                    i += 1
                }
                try endOfLine()
                try openTable(path, isArray: isArray, line: headerLine)
            } else {
                let keyLine = line
                let key = try parseKey()
                skipSpaces()
                guard peek == "=" else { throw fail("expected = after the key \"\(key.joined(separator: "."))\"") }
                i += 1
                skipSpaces()
                let value = try parseValue()
                try endOfLine()
                try assign(current + key, value, line: keyLine)
            }
        }
        return root
    }

    mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            if peek == "\"" || peek == "'" {
                guard case .string(let k) = try parseString() else { throw fail("bad quoted key") }
                parts.append(k)
            } else {
                var k = ""
                while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
                    k.unicodeScalars.append(c)
                    i += 1
                }
                guard !k.isEmpty else { throw fail("expected a key name") }
                parts.append(k)
            }
            skipSpaces()
            if peek == "." { i += 1 } else { return parts }
        }
    }

    mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case "\"", "'": return try parseString()
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t", "f":
            if matches("true") { i += 4; return .bool(true) }
            if matches("false") { i += 5; return .bool(false) }
            throw fail("expected a value (strings need quotes)")
        default: return try parseNumber()
        }
    }

    func matches(_ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard i + w.count <= s.count, Array(s[i..<i + w.count]) == w else { return false }
        if i + w.count < s.count, s[i + w.count].properties.isAlphabetic { return false }
        return true
    }

    mutating func parseNumber() throws(TOMLSyntaxError) -> TOMLValue {
        var text = ""
        while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || "+-._:".unicodeScalars.contains(c) {
            text.unicodeScalars.append(c)
            i += 1
        }
        if text.isEmpty { throw fail("expected a value") }
        if text.contains(":") || (text.count >= 10 && text.dropFirst(4).first == "-") {
            throw fail("dates and times are not used in this config; write \"\(text)\" as a quoted string if you meant one")
        }
        let clean = text.replacingOccurrences(of: "_", with: "")
        if clean.hasPrefix("0x"), let v = Int(clean.dropFirst(2), radix: 16) { return .integer(v) }
        if let v = Int(clean) { return .integer(v) }
        if clean == "inf" || clean == "+inf" { return .float(.infinity) }
        if let v = Double(clean), !clean.lowercased().contains("nan") { return .float(v) }
        throw fail("\"\(text)\" is not a number, true/false, or a quoted string")
    }

    mutating func parseString() throws(TOMLSyntaxError) -> TOMLValue {
        let quote = peek!
        let multi = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
        i += multi ? 3 : 1
        if multi, peek == "\n" { i += 1; line += 1 }
        var out = ""
        while true {
            guard let c = peek else { throw fail("unterminated string") }
            if c == quote {
                if !multi { i += 1; return .string(out) }
                if i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote { i += 3; return .string(out) }
            }
            if c == "\n" {
                guard multi else { throw fail("newline inside a string (close the quote, or use triple quotes)") }
                line += 1
            }
            if c == "\\", quote == "\"" {
                i += 1
                guard let e = peek else { throw fail("unterminated escape") }
                switch e {
                case "n": out += "\n"
                case "t": out += "\t"
                case "r": out += "\r"
                case "\\": out += "\\"
                case "\"": out += "\""
                case "u", "U":
                    let n = e == "u" ? 4 : 8
                    guard i + n < s.count, let v = UInt32(String(String.UnicodeScalarView(s[(i + 1)...(i + n)])), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw fail("bad \\u escape") }
                    out.unicodeScalars.append(scalar)
                    i += n
                case "\n" where multi:
                    line += 1
                    i += 1
                    while let w = peek, w == " " || w == "\t" || w == "\n" || w == "\r" { if w == "\n" { line += 1 }; i += 1 }
                    continue
                default: throw fail("unknown escape \\\(e) in a string (write \\\\ for a backslash, or use 'single quotes')")
                }
                i += 1
                continue
            }
            out.unicodeScalars.append(c)
            i += 1
        }
    }

    mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        i += 1
        var items: [TOMLValue] = []
        while true {
            skipBlank()
            if peek == "]" { i += 1; return .array(items) }
            items.append(try parseValue())
            skipBlank()
            if peek == "," { i += 1; continue }
            if peek == "]" { i += 1; return .array(items) }
            throw fail("expected , or ] in an array")
        }
    }

    mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        i += 1
        var table = TOMLTable(line: line)
        skipSpaces()
        if peek == "}" { i += 1; return .table(table) }
        while true {
            skipSpaces()
            let keyLine = line
            let key = try parseKey()
            guard key.count == 1 else { throw fail("dotted keys inside { } are not supported; write a [table]") }
            skipSpaces()
            guard peek == "=" else { throw fail("expected = in an inline table") }
            i += 1
            skipSpaces()
            let v = try parseValue()
            if table[key[0]] != nil { throw fail("key \"\(key[0])\" is set twice") }
            table.set(key[0], v, line: keyLine)
            skipSpaces()
            if peek == "," { i += 1; continue }
            if peek == "}" { i += 1; return .table(table) }
            throw fail("expected , or } in an inline table")
        }
    }

    // MARK: Building the tree

    mutating func openTable(_ path: [String], isArray: Bool, line headerLine: Int) throws(TOMLSyntaxError) {
        root = try Self.modify(root, path[...], line: headerLine) { (table: TOMLTable?, existing: TOMLValue?) throws(TOMLSyntaxError) -> TOMLValue in
            if isArray {
                var items: [TOMLValue] = []
                if let existing {
                    guard case .array(let a) = existing else {
                        throw TOMLSyntaxError(line: headerLine, message: "[[\(path.joined(separator: "."))]] conflicts with a key of the same name")
                    }
                    items = a
                }
                items.append(.table(TOMLTable(line: headerLine)))
                return .array(items)
            }
            if let existing {
                guard case .table(var t) = existing, t.line == 0 || t.entries.isEmpty || true else {
                    throw TOMLSyntaxError(line: headerLine, message: "[\(path.joined(separator: "."))] conflicts with a key of the same name")
                }
                if t.line != 0 {
                    throw TOMLSyntaxError(line: headerLine, message: "table [\(path.joined(separator: "."))] is defined twice (first on line \(t.line))")
                }
                t.line = headerLine
                return .table(t)
            }
            return .table(TOMLTable(line: headerLine))
        }
        current = path
    }

    mutating func assign(_ path: [String], _ value: TOMLValue, line keyLine: Int) throws(TOMLSyntaxError) {
        root = try Self.modify(root, path[...], line: keyLine) { (_: TOMLTable?, existing: TOMLValue?) throws(TOMLSyntaxError) -> TOMLValue in
            if existing != nil {
                throw TOMLSyntaxError(line: keyLine, message: "key \"\(path.joined(separator: "."))\" is set twice")
            }
            return value
        }
    }

    /// Walks `path` from `table` (descending into the last element of arrays of tables, creating
    /// implicit tables) and replaces the final key's value with `body(existing)`.
    static func modify(_ table: TOMLTable, _ path: ArraySlice<String>, line: Int,
                       _ body: (TOMLTable?, TOMLValue?) throws(TOMLSyntaxError) -> TOMLValue) throws(TOMLSyntaxError) -> TOMLTable {
        var t = table
        let key = path.first!
        if path.count == 1 {
            t.set(key, try body(t, t[key]?.value), line: line)
            return t
        }
        let rest = path.dropFirst()
        switch t[key]?.value {
        case nil:
            t.set(key, .table(try modify(TOMLTable(), rest, line: line, body)), line: line)
        case .table(let sub)?:
            t.set(key, .table(try modify(sub, rest, line: line, body)), line: line)
        case .array(var items)? where !items.isEmpty:
            guard case .table(let last) = items[items.count - 1] else { fallthrough }
            items[items.count - 1] = .table(try modify(last, rest, line: line, body))
            t.set(key, .array(items), line: line)
        default:
            throw TOMLSyntaxError(line: line, message: "\"\(key)\" is a value, not a table")
        }
        return t
    }
}

import Foundation
