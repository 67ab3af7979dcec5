/// Small vector helpers shared by the matching types. Kept scalar and obvious: they run once per
/// embedding, next to a BLAS call that costs a thousand times more.
public enum VectorMath {
    /// Below this length a vector is treated as zero and left as it is (no division blow-up).
    static let tinyNorm: Float = 1e-12

    static func normalize(_ v: UnsafeMutableBufferPointer<Float>) {
        var sum: Float = 0
        for x in v { sum += x * x }
        let norm = sum.squareRoot()
        guard norm > tinyNorm else { return }
        let inv = 1 / norm
        for i in v.indices { v[i] *= inv }
    }

    /// `v` scaled to unit length (left as it is when it is about zero).
    public static func normalized(_ v: [Float]) -> [Float] {
        var out = v
        out.withUnsafeMutableBufferPointer { normalize($0) }
        return out
    }
}
