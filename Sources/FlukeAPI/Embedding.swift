import Foundation

/// A feature vector on the wire: little-endian float32, base64, tagged with the model that made
/// it (vectors of different model versions are never compared).
public struct WireEmbedding: Codable, Sendable, Equatable {
    public var modelVersion: String
    public var dimension: Int
    public var f32leBase64: String

    public init(modelVersion: String, vector: [Float]) {
        self.modelVersion = modelVersion
        self.dimension = vector.count
        var data = Data(capacity: vector.count * 4)
        for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        self.f32leBase64 = data.base64EncodedString()
    }

    /// The values, or nil when the base64 does not hold `dimension` float32s.
    public var vector: [Float]? {
        guard let data = Data(base64Encoded: f32leBase64), data.count == dimension * 4 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<dimension).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case modelVersion = "model_version", dimension, f32leBase64 = "f32le_base64"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelVersion = try c.decode(String.self, forKey: .modelVersion)
        dimension = try c.decode(Int.self, forKey: .dimension)
        f32leBase64 = try c.decode(String.self, forKey: .f32leBase64)
        try Check.length(modelVersion, 1...128, decoder, CodingKeys.modelVersion)
        guard (1...16384).contains(dimension) else { throw Check.fail(decoder, CodingKeys.dimension, "expected 1 to 16384, got \(dimension)") }
        guard vector != nil else {
            throw Check.fail(decoder, CodingKeys.f32leBase64, "expected base64 of \(dimension) little-endian float32 values (\(dimension * 4) bytes)")
        }
    }
}

/// Cosine similarity of two vectors of the same length (0 when either is all zeros).
public func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in a.indices {
        dot += Double(a[i]) * Double(b[i])
        na += Double(a[i]) * Double(a[i])
        nb += Double(b[i]) * Double(b[i])
    }
    guard na > 0, nb > 0 else { return 0 }
    return dot / (na.squareRoot() * nb.squareRoot())
}
