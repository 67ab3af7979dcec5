/// Row-major Float32 vectors of one dimension, in one contiguous buffer: the layout BLAS wants
/// (a catalog's gallery, a batch of queries, a projection's input).
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
        precondition(rows.allSatisfy { $0.count == d }, "all rows must have the same dimension")
        self.dimension = d
        self.values = rows.flatMap { $0 }
    }

    public var count: Int { values.count / dimension }

    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dimension)..<((i + 1) * dimension)] }

    public mutating func append(_ row: some Collection<Float>) {
        precondition(row.count == dimension, "row has \(row.count) values, the matrix \(dimension)")
        values.append(contentsOf: row)
    }

    /// Removes rows whose index is in `indices` (catalog edits), keeping the order of the rest.
    public mutating func remove(rows indices: Set<Int>) {
        var kept: [Float] = []
        kept.reserveCapacity(values.count)
        for i in 0..<count where !indices.contains(i) { kept.append(contentsOf: row(i)) }
        values = kept
    }
}
