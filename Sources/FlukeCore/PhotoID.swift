/// A photo's identity: the SHA-256 of its bytes, as 64 lowercase hex digits.
///
/// The same bytes seen twice (another folder, a re-copied card) are the same photo, so every
/// table that talks about a photo keys on this value rather than on a path.
public struct PhotoID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let hex: String

    /// Accepts exactly 64 hex digits (either case; stored lowercase).
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        self.hex = lower
    }

    /// Builds the identity from a raw 32-byte digest.
    public init(digest: some Sequence<UInt8>) {
        let table = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0f)])
        }
        precondition(out.count == 64, "a SHA-256 digest is 32 bytes")
        self.hex = String(decoding: out, as: UTF8.self)
    }

    /// The first 12 digits: enough to tell photos apart in a log line.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (a: PhotoID, b: PhotoID) -> Bool { a.hex < b.hex }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = PhotoID(hex: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a SHA-256 hex digest: \(raw)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
