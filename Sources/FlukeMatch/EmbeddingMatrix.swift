/// Row-major Float32 vectors of one dimension, in one contiguous buffer: the layout BLAS wants
/// (a catalog's gallery, a batch of queries, a projection's input).
///
/// Shape mistakes here are programming errors, not data errors, so they trap (`precondition`);
/// the types that take data from outside (Gallery, Projection) check shapes first and throw.
public struct EmbeddingMatrix: Sendable, Equatable {
    public private(set) var values: [Float]
    public let dimension: Int

    public init(dimension: Int) {
        precondition(dimension > 0, "an embedding needs at least one dimension")
        self.dimension = dimension
        self.values = []
    }

    public init(rows: [[Float]]) {
        precondition(!rows.isEmpty, "use init(dimension:) for an empty matrix")
        let d = rows[0].count
        precondition(d > 0, "an embedding needs at least one dimension")
        precondition(rows.allSatisfy { $0.count == d }, "all rows must have the same dimension")
        self.dimension = d
        self.values = rows.flatMap { $0 }
    }

    /// Adopts a row-major buffer as it is (no copy beyond Swift's copy-on-write).
    public init(dimension: Int, values: [Float]) {
        precondition(dimension > 0, "an embedding needs at least one dimension")
        precondition(values.count % dimension == 0, "\(values.count) values are not whole rows of \(dimension)")
        self.dimension = dimension
        self.values = values
    }

    public var count: Int { values.count / dimension }

    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dimension)..<((i + 1) * dimension)] }

    /// Room for `rows` rows in all, so appending them never reallocates: growing by doubling would
    /// hold the old and the new buffer at once, twice a large catalog's vectors for a moment.
    public mutating func reserveCapacity(rows: Int) {
        values.reserveCapacity(rows * dimension)
    }

    public mutating func append(_ row: some Collection<Float>) {
        precondition(row.count == dimension, "row has \(row.count) values, the matrix \(dimension)")
        values.append(contentsOf: row)
    }

    /// Overwrites row `i` in place.
    public mutating func replaceRow(_ i: Int, with row: some Collection<Float>) {
        precondition(row.count == dimension, "row has \(row.count) values, the matrix \(dimension)")
        values.replaceSubrange((i * dimension)..<((i + 1) * dimension), with: row)
    }

    /// Removes row `i` in O(dimension) by moving the last row into its place. Row order is not
    /// preserved; the gallery, which keeps its own row bookkeeping, uses this for catalog edits.
    public mutating func swapRemove(row i: Int) {
        precondition(i >= 0 && i < count, "row \(i) is out of range 0..<\(count)")
        let last = count - 1
        if i != last {
            let lastStart = last * dimension
            for k in 0..<dimension { values[i * dimension + k] = values[lastStart + k] }
        }
        values.removeLast(dimension)
    }

    /// Removes rows whose index is in `indices` (catalog edits), keeping the order of the rest.
    public mutating func remove(rows indices: Set<Int>) {
        var kept: [Float] = []
        kept.reserveCapacity(values.count)
        for i in 0..<count where !indices.contains(i) { kept.append(contentsOf: row(i)) }
        values = kept
    }

    /// A new matrix of the given rows, in the given order.
    public func selecting(rows indices: some Sequence<Int>) -> EmbeddingMatrix {
        var out: [Float] = []
        for i in indices { out.append(contentsOf: row(i)) }
        return EmbeddingMatrix(dimension: dimension, values: out)
    }

    /// Scales every row to unit Euclidean length (rows of zeros stay zero), so a dot product is
    /// the cosine the gallery ranks by.
    public mutating func normalizeRows() {
        let d = dimension
        values.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<(buffer.count / d) {
                VectorMath.normalize(UnsafeMutableBufferPointer(rebasing: buffer[(r * d)..<((r + 1) * d)]))
            }
        }
    }
}
