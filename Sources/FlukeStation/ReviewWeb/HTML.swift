/// A piece of HTML. Interpolating a `String` (or a number) escapes it; interpolating `HTML`
/// inserts it as is. Pages are built from these, so text from the database, file names and
/// reviewer names can never become markup: escaping is the default, not a step to remember.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var raw: String

    public init(raw: String) { self.raw = raw }
    public init(stringLiteral value: String) { raw = value }
    public init(stringInterpolation: Interpolation) { raw = stringInterpolation.raw }

    public var description: String { raw }

    public struct Interpolation: StringInterpolationProtocol {
        var raw = ""
        public init(literalCapacity: Int, interpolationCount: Int) { raw.reserveCapacity(literalCapacity * 2) }
        public mutating func appendLiteral(_ literal: String) { raw += literal }
        public mutating func appendInterpolation(_ html: HTML) { raw += html.raw }
        public mutating func appendInterpolation(_ text: String) { raw += HTML.escape(text) }
        public mutating func appendInterpolation(_ text: Substring) { raw += HTML.escape(String(text)) }
        public mutating func appendInterpolation<N: Numeric>(_ number: N) { raw += HTML.escape("\(number)") }
        public mutating func appendInterpolation(_ html: [HTML]) { raw += html.map(\.raw).joined() }
    }

    /// Escapes the five characters that matter in text and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    public static func + (a: HTML, b: HTML) -> HTML { HTML(raw: a.raw + b.raw) }
}

extension Array where Element == HTML {
    public func joined() -> HTML { HTML(raw: map(\.raw).joined()) }
}
