import Foundation

/// Encoding and strict decoding of protocol bodies, the same at both ends.
///
/// Swift's JSONDecoder ignores fields it does not know. A protocol that silently drops a field
/// hides a version mismatch or a typo until data is lost, so after decoding, the raw JSON is
/// compared with the decoded value encoded again: any field the types did not take is an error
/// that names it (a `null` counts as absent).
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func encode(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    /// Decodes `T` and refuses unknown fields anywhere in the document.
    public static func decodeStrictly<T: Codable>(_ type: T.Type, from data: Data) throws(WireDecodingError) -> T {
        let value: T
        let raw: JSONValue
        do {
            raw = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw WireDecodingError(code: "invalid-json", message: "the body is not valid JSON (\(Self.describe(error)))")
        }
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as WireDecodingError {
            throw error
        } catch {
            throw WireDecodingError(code: "invalid-field", message: Self.describe(error))
        }
        let reencoded: JSONValue
        do {
            reencoded = try JSONDecoder().decode(JSONValue.self, from: try encode(value))
        } catch {
            throw WireDecodingError(code: "invalid-field", message: "\(error)")
        }
        if let path = firstUnknown(raw, known: reencoded, path: "") {
            throw WireDecodingError(code: "unknown-field", message: "unknown field \(path); check the client's protocol version against openapi/flukewatch-hub.yaml")
        }
        return value
    }

    private static func firstUnknown(_ raw: JSONValue, known: JSONValue, path: String) -> String? {
        switch (raw, known) {
        case (.object(let r), .object(let k)):
            for key in r.keys.sorted() {
                let here = path.isEmpty ? key : "\(path).\(key)"
                guard let kv = k[key] else {
                    if r[key] == .null { continue }
                    return "\"\(here)\""
                }
                if let found = firstUnknown(r[key]!, known: kv, path: here) { return found }
            }
        case (.array(let r), .array(let k)) where r.count == k.count:
            for (i, (rv, kv)) in zip(r, k).enumerated() {
                if let found = firstUnknown(rv, known: kv, path: "\(path)[\(i)]") { return found }
            }
        default: break
        }
        return nil
    }

    /// A decoding error as a person reads it: where, and what was wrong.
    public static func describe(_ error: any Error) -> String {
        func place(_ path: [any CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the body" : "field \"\(text.hasPrefix(".") ? String(text.dropFirst()) : text)\""
        }
        guard let d = error as? DecodingError else { return "\(error)" }
        switch d {
        case .keyNotFound(let key, let c):
            return "\(place(c.codingPath + [key])) is required but missing"
        case .typeMismatch(let type, let c):
            return "\(place(c.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let c):
            return "\(place(c.codingPath)) is null but must be a \(type)"
        case .dataCorrupted(let c):
            return "\(place(c.codingPath)): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A body the protocol does not accept; `code` is one of the Problem codes.
public struct WireDecodingError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// Checks of field values the types alone cannot express (patterns, ranges), thrown from
/// `init(from:)` so a bad value is refused while decoding, with its field's path.
enum Check {
    nonisolated(unsafe) static let sha256 = /^[0-9a-f]{64}$/
    nonisolated(unsafe) static let itemID = /^[A-Za-z0-9._:-]{1,128}$/
    nonisolated(unsafe) static let stationID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

    static func fail(_ c: any Decoder, _ key: some CodingKey, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: message))
    }

    static func matches(_ value: String, _ regex: Regex<Substring>, _ d: any Decoder, _ key: some CodingKey, _ what: String) throws {
        guard value.wholeMatch(of: regex) != nil else { throw fail(d, key, "expected \(what), got \"\(value.prefix(80))\"") }
    }

    static func length(_ value: String, _ range: ClosedRange<Int>, _ d: any Decoder, _ key: some CodingKey) throws {
        guard range.contains(value.count) else {
            throw fail(d, key, "expected \(range.lowerBound) to \(range.upperBound) characters, got \(value.count)")
        }
    }

    /// RFC 3339 (the `date-time` of JSON Schema): a date, a time and an offset or Z.
    nonisolated(unsafe) static let rfc3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/

    static func timestamp(_ value: String, _ d: any Decoder, _ key: some CodingKey) throws {
        guard value.wholeMatch(of: rfc3339) != nil else {
            throw fail(d, key, "expected an ISO 8601 time with an offset, e.g. 2026-07-14T09:00:00-03:00, got \"\(value.prefix(80))\"")
        }
    }
}
