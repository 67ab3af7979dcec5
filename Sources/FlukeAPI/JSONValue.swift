import Foundation

/// Any JSON value, compared structurally. The hub uses it to tell which fields of a resent item
/// differ from what it holds, and both ends use it to refuse fields the protocol does not know.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Top-level keys whose values differ between two objects (a key missing on one side differs
    /// from any value on the other, except that a missing key and `null` are the same).
    public static func differingFields(_ a: JSONValue, _ b: JSONValue) -> [String] {
        guard case .object(let l) = a, case .object(let r) = b else { return a == b ? [] : ["(whole item)"] }
        return Set(l.keys).union(r.keys).filter { (l[$0] ?? .null) != (r[$0] ?? .null) }.sorted()
    }
}
