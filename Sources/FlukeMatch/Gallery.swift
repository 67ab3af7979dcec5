import COpenBLAS

/// Every catalog embedding in one contiguous row-major matrix, with the individual and photo key of
/// each row, ranked against queries by exact cosine search with BLAS.
///
/// Why exact search: 100 000 embeddings × 256 floats is one `sgemv` of a few milliseconds, so an
/// approximate index would only add recall loss and a rebuild step. Embeddings are expected to be
/// L2-normalised (the projection's output is), so a dot product is the cosine.
///
/// Scores are aggregated per individual (see `Aggregation`): by default the mean of the best
/// cosine over the individual's photos and the cosine to its centroid, which ranked real right
/// whales best; the centroids are kept up to date on every edit, so ranking costs one `sgemv` over
/// the photos and one over the individuals.
///
/// The gallery is a value type and edits happen in place: `add` appends a row, `remove` moves the
/// last row into the hole (O(dimension)), so a station updates its catalog without a rebuild or a
/// restart. Share it between tasks by value, or behind an actor that owns the mutations.
public struct Gallery: Sendable {
    /// Which catalog rows a query must not see (used to simulate queries from the catalog itself).
    public enum Exclusion: Sendable, Equatable, Hashable {
        case nothing
        /// Leave out one photo (a known individual's photo asked against the rest of the catalog).
        case photo(String)
        /// Leave out every photo of one individual (simulates a new individual).
        case individual(String)
    }

    /// Score matrices of batched ranking are computed in blocks of at most this many floats
    /// (16 MB), so a batch of thousands of queries against a large catalog stays in bounded memory.
    static let scoreBlockFloats = 4 << 20

    public let aggregation: Aggregation
    public private(set) var embeddings: EmbeddingMatrix
    /// Photo key of each row.
    public private(set) var photoKeys: [String]
    /// For each row, its individual as an index into `slotNames`.
    var rowSlot: [Int32]
    /// Individuals ever seen; a slot whose row count fell to zero stays, empty, for reuse.
    var slotNames: [String]
    var slotOfIndividual: [String: Int32]
    private var slotRowCount: [Int]
    var rowOfPhotoKey: [String: Int]
    /// Per slot (only for `.maximumAndCentroid`): the unit centroid, the normalised sum of its rows
    /// (slots × dimension, Float, for BLAS), and the length of that sum, so the sum itself is
    /// centroid × length and needs no second matrix. Float rounding adds about 1e-7 per edit.
    var centroids: [Float]
    private var sumLengths: [Double]
    /// int8 copies of the rows and of the centroids, for the first pass of a large search
    /// (see `Gallery+QuantizedRanking.swift`), edited together with the float rows.
    var quantized: QuantizedRows
    var quantizedCentroids: QuantizedRows

    public init(dimension: Int, aggregation: Aggregation = .maximumAndCentroid) {
        self.aggregation = aggregation
        embeddings = EmbeddingMatrix(dimension: dimension)
        photoKeys = []
        rowSlot = []
        slotNames = []
        slotOfIndividual = [:]
        slotRowCount = []
        rowOfPhotoKey = [:]
        centroids = []
        sumLengths = []
        quantized = QuantizedRows(dimension: dimension)
        quantizedCentroids = QuantizedRows(dimension: dimension)
    }

    /// A gallery of the given rows; `individuals` and `photoKeys` are parallel to the rows.
    public init(embeddings: EmbeddingMatrix, individuals: [String], photoKeys: [String],
                aggregation: Aggregation = .maximumAndCentroid) throws(GalleryError)
    {
        guard embeddings.count == individuals.count, embeddings.count == photoKeys.count else {
            throw .parallelArraysDiffer(rows: embeddings.count, individuals: individuals.count,
                                        photoKeys: photoKeys.count)
        }
        guard embeddings.count < Int(Int32.max) else { throw .tooLargeForBLAS(rows: embeddings.count) }
        self.init(dimension: embeddings.dimension, aggregation: aggregation)
        var seen = Set<String>()
        for key in photoKeys where !seen.insert(key).inserted { throw .duplicatePhotoKey(key) }
        self.embeddings = embeddings
        self.photoKeys = photoKeys
        for row in 0..<embeddings.count { quantized.append(embeddings.row(row)) }
        rowSlot.reserveCapacity(individuals.count)
        for (row, individual) in individuals.enumerated() {
            rowSlot.append(slot(for: individual))
            slotRowCount[Int(rowSlot[row])] += 1
            rowOfPhotoKey[photoKeys[row]] = row
            accumulate(row: row, slot: rowSlot[row], sign: 1)
        }
    }

    public var dimension: Int { embeddings.dimension }
    /// Number of photos (rows).
    public var count: Int { embeddings.count }
    /// Number of individuals with at least one photo.
    public var individualCount: Int { slotRowCount.lazy.filter { $0 > 0 }.count }

    /// Individual of each row, parallel to `photoKeys`.
    public var individuals: [String] { rowSlot.map { slotNames[Int($0)] } }

    public func individual(ofRow row: Int) -> String { slotNames[Int(rowSlot[row])] }

    public func contains(photoKey: String) -> Bool { rowOfPhotoKey[photoKey] != nil }

    // MARK: Edits

    /// Appends one photo. Throws (and changes nothing) on a wrong dimension or a key already present.
    public mutating func add(_ embedding: [Float], individual: String, photoKey: String) throws(GalleryError) {
        guard embedding.count == dimension else { throw .dimensionMismatch(expected: dimension, got: embedding.count) }
        guard rowOfPhotoKey[photoKey] == nil else { throw .duplicatePhotoKey(photoKey) }
        guard count + 1 < Int(Int32.max) else { throw .tooLargeForBLAS(rows: count + 1) }
        let s = slot(for: individual)
        embeddings.append(embedding)
        quantized.append(embedding)
        photoKeys.append(photoKey)
        rowSlot.append(s)
        slotRowCount[Int(s)] += 1
        rowOfPhotoKey[photoKey] = count - 1
        accumulate(row: count - 1, slot: s, sign: 1)
    }

    /// Removes one photo in O(dimension): the last row takes its place.
    public mutating func remove(photoKey: String) throws(GalleryError) {
        guard let row = rowOfPhotoKey[photoKey] else { throw .unknownPhotoKey(photoKey) }
        let s = rowSlot[row]
        slotRowCount[Int(s)] -= 1
        accumulate(row: row, slot: s, sign: -1)
        rowOfPhotoKey[photoKey] = nil
        let last = count - 1
        embeddings.swapRemove(row: row)
        quantized.swapRemove(row: row)
        if row != last {
            photoKeys[row] = photoKeys[last]
            rowSlot[row] = rowSlot[last]
            rowOfPhotoKey[photoKeys[row]] = row
        }
        photoKeys.removeLast()
        rowSlot.removeLast()
    }

    /// Removes every photo of an individual (a merge or a deletion on the hub); returns how many.
    @discardableResult
    public mutating func remove(individual: String) -> Int {
        guard let s = slotOfIndividual[individual] else { return 0 }
        let keys = zip(photoKeys, rowSlot).filter { $0.1 == s }.map(\.0)
        for key in keys { try? remove(photoKey: key) }
        return keys.count
    }

    /// Replaces a photo's embedding (after a projection refit, say) without moving it.
    public mutating func replace(photoKey: String, with embedding: [Float]) throws(GalleryError) {
        guard let row = rowOfPhotoKey[photoKey] else { throw .unknownPhotoKey(photoKey) }
        guard embedding.count == dimension else { throw .dimensionMismatch(expected: dimension, got: embedding.count) }
        accumulate(row: row, slot: rowSlot[row], sign: -1)
        embeddings.replaceRow(row, with: embedding)
        quantized.replaceRow(row, with: embedding)
        accumulate(row: row, slot: rowSlot[row], sign: 1)
    }

    private mutating func slot(for individual: String) -> Int32 {
        if let s = slotOfIndividual[individual] { return s }
        let s = Int32(slotNames.count)
        slotNames.append(individual)
        slotRowCount.append(0)
        slotOfIndividual[individual] = s
        if aggregation == .maximumAndCentroid {
            centroids.append(contentsOf: repeatElement(0, count: dimension))
            quantizedCentroids.append(repeatElement(0, count: dimension))
            sumLengths.append(0)
        }
        return s
    }

    /// Adds (sign 1) or subtracts (sign −1) a row to its slot's sum and renormalises the centroid.
    /// Call after `slotRowCount` is updated: an emptied slot is reset to exact zero.
    private mutating func accumulate(row: Int, slot: Int32, sign: Double) {
        guard aggregation == .maximumAndCentroid else { return }
        let d = dimension, base = Int(slot) * d
        guard slotRowCount[Int(slot)] > 0 else {
            for i in 0..<d { centroids[base + i] = 0 }
            quantizedCentroids.replaceRow(Int(slot), with: repeatElement(0, count: d))
            sumLengths[Int(slot)] = 0
            return
        }
        var sum = [Double](repeating: 0, count: d)
        var length2 = 0.0
        let oldLength = sumLengths[Int(slot)]
        embeddings.values.withUnsafeBufferPointer { v in
            for i in 0..<d {
                sum[i] = Double(centroids[base + i]) * oldLength + sign * Double(v[row * d + i])
                length2 += sum[i] * sum[i]
            }
        }
        let length = length2.squareRoot()
        let inv = length > 1e-12 ? 1 / length : 0
        for i in 0..<d { centroids[base + i] = Float(sum[i] * inv) }
        quantizedCentroids.replaceRow(Int(slot), with: centroids[base..<(base + d)])
        sumLengths[Int(slot)] = length
    }

    // MARK: Ranking

    /// The `topK` best individuals for one query, best first (ties: individual id in UTF-8 order).
    /// Small galleries: one `cblas_sgemv` over the whole matrix, then one pass to take each
    /// individual's maximum. From `quantizedSearchMinimumRows` rows on, the same answer in two
    /// passes (int8 first, float32 for the rows that can still matter): see
    /// `Gallery+QuantizedRanking.swift`.
    public func rank(query: [Float], topK: Int, excluding exclusion: Exclusion = .nothing)
        throws(GalleryError) -> [IndividualScore]
    {
        guard query.count == dimension else { throw .dimensionMismatch(expected: dimension, got: query.count) }
        guard topK >= 1 else { throw .topKNotPositive(topK) }
        if count >= Self.quantizedSearchMinimumRows {
            return rankInTwoPasses(query: query, topK: topK, excluding: exclusion)
        }
        return rankWithBLAS(query: query, topK: topK, excluding: exclusion)
    }

    /// The single-query ranking with one float32 `sgemv` over every row (what `rank(query:)` does
    /// below `quantizedSearchMinimumRows`; public for benchmarks that compare the two paths).
    public func rankWithBLAS(query: [Float], topK: Int, excluding exclusion: Exclusion) -> [IndividualScore] {
        let n = count
        guard n > 0 else { return [] }
        var scores = [Float](repeating: 0, count: n)
        embeddings.values.withUnsafeBufferPointer { g in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimension), 1,
                                g.baseAddress, Int32(dimension), q.baseAddress, 1, 0, s.baseAddress, 1)
                }
            }
        }
        var centroidScores: [Float] = []
        if aggregation == .maximumAndCentroid {
            centroidScores = [Float](repeating: 0, count: slotNames.count)
            centroids.withUnsafeBufferPointer { c in
                query.withUnsafeBufferPointer { q in
                    centroidScores.withUnsafeMutableBufferPointer { s in
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(slotNames.count), Int32(dimension), 1,
                                    c.baseAddress, Int32(dimension), q.baseAddress, 1, 0, s.baseAddress, 1)
                    }
                }
            }
        }
        return scores.withUnsafeBufferPointer { s in
            centroidScores.withUnsafeBufferPointer { c in
                aggregate(s, centroidScores: c, query: query[...], topK: topK, excluding: exclusion)
            }
        }
    }

    /// Ranks a batch of queries (one `cblas_sgemm` per block of queries); `exclusions`, when given,
    /// is parallel to the queries.
    public func rank(queries: EmbeddingMatrix, topK: Int, excluding exclusions: [Exclusion]? = nil)
        throws(GalleryError) -> [[IndividualScore]]
    {
        guard queries.dimension == dimension else {
            throw .dimensionMismatch(expected: dimension, got: queries.dimension)
        }
        guard topK >= 1 else { throw .topKNotPositive(topK) }
        if let exclusions, exclusions.count != queries.count {
            throw .parallelArraysDiffer(rows: queries.count, individuals: exclusions.count, photoKeys: exclusions.count)
        }
        let n = count, m = queries.count, d = dimension
        guard m > 0 else { return [] }
        guard n > 0 else { return Array(repeating: [], count: m) }
        let slots = slotNames.count
        let withCentroids = aggregation == .maximumAndCentroid
        let block = max(1, min(m, Self.scoreBlockFloats / (n + slots)))
        var scores = [Float](repeating: 0, count: block * n)
        var centroidScores = [Float](repeating: 0, count: withCentroids ? block * slots : 0)
        var results: [[IndividualScore]] = []
        results.reserveCapacity(m)
        var start = 0
        while start < m {
            let rows = min(block, m - start)
            embeddings.values.withUnsafeBufferPointer { g in
                queries.values.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { s in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(d), 1,
                                    q.baseAddress! + start * d, Int32(d), g.baseAddress, Int32(d),
                                    0, s.baseAddress, Int32(n))
                    }
                }
            }
            if withCentroids {
                centroids.withUnsafeBufferPointer { c in
                    queries.values.withUnsafeBufferPointer { q in
                        centroidScores.withUnsafeMutableBufferPointer { s in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(slots), Int32(d), 1,
                                        q.baseAddress! + start * d, Int32(d), c.baseAddress, Int32(d),
                                        0, s.baseAddress, Int32(slots))
                        }
                    }
                }
            }
            scores.withUnsafeBufferPointer { s in
                centroidScores.withUnsafeBufferPointer { c in
                    for i in 0..<rows {
                        let slice = UnsafeBufferPointer(rebasing: s[(i * n)..<((i + 1) * n)])
                        let cslice = withCentroids ? UnsafeBufferPointer(rebasing: c[(i * slots)..<((i + 1) * slots)])
                            : UnsafeBufferPointer(rebasing: c[0..<0])
                        let q = queries.row(start + i)
                        results.append(aggregate(slice, centroidScores: cslice, query: q, topK: topK,
                                                 excluding: exclusions?[start + i] ?? .nothing))
                    }
                }
            }
            start += rows
        }
        return results
    }

    /// Per-individual maximum over rows (averaged with the centroid score when asked), then a
    /// partial selection of the best `topK` individuals.
    private func aggregate(_ scores: UnsafeBufferPointer<Float>, centroidScores: UnsafeBufferPointer<Float>,
                           query: ArraySlice<Float>, topK: Int, excluding exclusion: Exclusion) -> [IndividualScore]
    {
        var excludedRow = -1
        var excludedSlot: Int32 = -1
        switch exclusion {
        case .nothing: break
        case .photo(let key): excludedRow = rowOfPhotoKey[key] ?? -1
        case .individual(let id): excludedSlot = slotOfIndividual[id] ?? -1
        }
        var best = [Float](repeating: -.infinity, count: slotNames.count)
        var bestRow = [Int](repeating: -1, count: slotNames.count)
        for r in 0..<scores.count where r != excludedRow {
            let s = Int(rowSlot[r])
            if s == Int(excludedSlot) { continue }
            let v = scores[r]
            if bestRow[s] < 0 || v > best[s] {
                best[s] = v
                bestRow[s] = r
            }
        }
        if aggregation == .maximumAndCentroid {
            // The excluded photo must not count in its individual's centroid either.
            let ownSlot = excludedRow >= 0 ? Int(rowSlot[excludedRow]) : -1
            for s in 0..<slotNames.count where bestRow[s] >= 0 {
                let centroid = s == ownSlot
                    ? centroidScoreWithout(row: excludedRow, rowScore: scores[excludedRow], query: query)
                    : centroidScores[s]
                best[s] = 0.5 * (best[s] + centroid)
            }
        }
        return selectTop(best: best, bestRow: bestRow, topK: topK)
    }

    /// The `topK` slots with a row (`bestRow[s] >= 0`) and the highest `best[s]`, best first
    /// (ties: individual id in UTF-8 order). A small sorted array: O(individuals × topK), no sort.
    func selectTop(best: [Float], bestRow: [Int], topK: Int) -> [IndividualScore] {
        var top: [Int] = []
        top.reserveCapacity(topK + 1)
        func precedes(_ a: Int, _ b: Int) -> Bool {
            if best[a] != best[b] { return best[a] > best[b] }
            return EvaluationSplit.utf8Precedes(slotNames[a], slotNames[b])
        }
        for s in 0..<slotNames.count where bestRow[s] >= 0 && !best[s].isNaN {
            if top.count == topK, !precedes(s, top[topK - 1]) { continue }
            var i = top.count
            while i > 0, precedes(s, top[i - 1]) { i -= 1 }
            top.insert(s, at: i)
            if top.count > topK { top.removeLast() }
        }
        return top.map { IndividualScore(individual: slotNames[$0], score: best[$0], photoKey: photoKeys[bestRow[$0]]) }
    }

    /// Cosine between the query and the centroid of `row`'s individual without that row:
    /// (q·S − q·r) / ‖S − r‖, from the slot's sum S = centroid × length, in O(dimension).
    func centroidScoreWithout(row: Int, rowScore: Float, query: ArraySlice<Float>) -> Float {
        let d = dimension, slot = Int(rowSlot[row]), base = slot * d
        let length = sumLengths[slot]
        var qs = 0.0, norm2 = 0.0
        embeddings.values.withUnsafeBufferPointer { v in
            var i = 0
            for qv in query {
                let sum = Double(centroids[base + i]) * length
                let rest = sum - Double(v[row * d + i])
                qs += Double(qv) * sum
                norm2 += rest * rest
                i += 1
            }
        }
        let norm = norm2.squareRoot()
        return norm > 1e-6 ? Float((qs - Double(rowScore)) / norm) : -.infinity
    }
}
