import CFlukeScan

/// An int8 copy of float rows (one scale per row), kept beside the gallery's float matrix so that
/// a search can read a quarter of the bytes in its first pass and still return the exact answer.
///
/// Every approximate dot product comes with a bound on its error (see `errorBound`), so the
/// second pass knows which rows can still matter and recomputes only those in float32.
///
/// Why per-row symmetric scales: catalog embeddings are unit vectors whose largest component
/// varies from row to row; a per-row scale keeps every row's rounding error proportional to its
/// own range. Rounding is to nearest, so each value is off by at most half its row's scale.
struct QuantizedRows: Sendable {
    let dimension: Int
    private(set) var values: [Int8] = []
    /// value ≈ scale × int8, per row.
    private(set) var scales: [Float] = []
    /// Σ|x_i| of each float row, for the error bound.
    private(set) var l1Norms: [Float] = []

    init(dimension: Int) {
        self.dimension = dimension
    }

    var count: Int { scales.count }

    mutating func append(_ row: some Collection<Float>) {
        let (q, scale, l1) = Self.quantize(row)
        values.append(contentsOf: q)
        scales.append(scale)
        l1Norms.append(l1)
    }

    mutating func replaceRow(_ i: Int, with row: some Collection<Float>) {
        let (q, scale, l1) = Self.quantize(row)
        values.replaceSubrange((i * dimension)..<((i + 1) * dimension), with: q)
        scales[i] = scale
        l1Norms[i] = l1
    }

    /// Removes row `i` by moving the last row into its place (as `EmbeddingMatrix.swapRemove`).
    mutating func swapRemove(row i: Int) {
        let last = count - 1
        if i != last {
            let from = last * dimension
            for k in 0..<dimension { values[i * dimension + k] = values[from + k] }
            scales[i] = scales[last]
            l1Norms[i] = l1Norms[last]
        }
        values.removeLast(dimension)
        scales.removeLast()
        l1Norms.removeLast()
    }

    /// Integer dot products of every row with the query, in `out` (count values).
    func dotProducts(with query: QuantizedQuery, into out: UnsafeMutableBufferPointer<Int32>) {
        precondition(query.values.count == dimension && out.count >= count)
        guard count > 0 else { return }
        values.withUnsafeBufferPointer { rows in
            query.values.withUnsafeBufferPointer { q in
                fw_scan_dot_i8(rows.baseAddress, count, dimension, q.baseAddress, out.baseAddress)
            }
        }
    }

    /// The approximate cosine of row `row` and its error bound, from the row's integer dot product.
    ///
    /// With x = s·x̂ + e (|e_i| ≤ s/2) and y = t·ŷ + f (|f_i| ≤ t/2):
    /// x·y − s·t·(x̂·ŷ) = x·f + e·y − e·f, so the error is at most
    /// (t/2)·‖x‖₁ + (s/2)·‖y‖₁ + d·s·t/4, plus a little for float rounding.
    @inline(__always)
    func estimate(row: Int, dot: Int32, query: QuantizedQuery) -> (value: Float, bound: Float) {
        let s = scales[row], t = query.scale
        let value = Float(dot) * s * t
        let bound = 0.5 * t * l1Norms[row] + 0.5 * s * query.l1Norm + 0.25 * Float(dimension) * s * t
            + Self.roundingSlack
        return (value, bound.isNaN ? .infinity : bound)  // 0 × ∞ from a zero query and a bad row
    }

    /// Covers float rounding in the estimate and in the float32 dot products it is compared with
    /// (sgemv or a scalar loop sum in a different order: about 1e-6 for unit vectors).
    static let roundingSlack: Float = 1e-4

    static func quantize(_ row: some Collection<Float>) -> (values: [Int8], scale: Float, l1Norm: Float) {
        var largest: Float = 0, l1: Float = 0
        for x in row {
            largest = max(largest, abs(x))
            l1 += abs(x)
        }
        // A row with a NaN or an infinity gets an infinite bound: the second pass always
        // recomputes it in float, so it ranks exactly as it would without quantization.
        guard l1.isFinite else { return ([Int8](repeating: 0, count: row.count), 0, .infinity) }
        guard largest > 0 else { return ([Int8](repeating: 0, count: row.count), 0, 0) }
        let scale = largest / 127
        let inverse = 1 / scale
        return (row.map { Int8(max(-127, min(127, ($0 * inverse).rounded()))) }, scale, l1)
    }
}

/// A query quantized like the rows it is compared with.
struct QuantizedQuery {
    let values: [Int8]
    let scale: Float
    let l1Norm: Float

    init(_ query: some Collection<Float>) {
        (values, scale, l1Norm) = QuantizedRows.quantize(query)
    }
}
