import COpenBLAS

extension Gallery {
    /// From this many rows on, a single query is ranked in two passes. Below it one float32
    /// `sgemv` takes well under a millisecond and the second pass would only add work.
    public static let quantizedSearchMinimumRows = 4096

    /// The same ranking as `rankWithBLAS`, reading a quarter of the bytes.
    ///
    /// A float32 search over 100 000 × 256 rows reads 100 MB and is bound by memory bandwidth
    /// (about 20 ms on a 2-core x86 board). Here:
    /// 1. int8 dot products of the query with every row and every centroid (`QuantizedRows`),
    ///    each with a bound on its error, give every individual a lower and an upper bound on its
    ///    score;
    /// 2. the k-th best lower bound is a score the answer's k individuals reach for certain, so an
    ///    individual whose upper bound falls below it cannot be in the answer;
    /// 3. the remaining individuals are scored exactly in float32, from only those of their rows
    ///    whose upper bound reaches the individual's best lower bound.
    /// The result is the exact ranking, not an approximation: the bounds are proven, not tuned.
    /// (Public for benchmarks; `rank(query:)` chooses the path.)
    public func rankInTwoPasses(query: [Float], topK: Int, excluding exclusion: Exclusion) -> [IndividualScore] {
        let n = count, slots = slotNames.count, d = dimension
        guard n > 0 else { return [] }
        let q = QuantizedQuery(query)
        let withCentroids = aggregation == .maximumAndCentroid

        var excludedRow = -1, excludedSlot = -1
        switch exclusion {
        case .nothing: break
        case .photo(let key): excludedRow = rowOfPhotoKey[key] ?? -1
        case .individual(let id): excludedSlot = slotOfIndividual[id].map(Int.init) ?? -1
        }
        // The excluded photo's individual needs its centroid without that photo: always exact.
        let ownSlot = excludedRow >= 0 ? Int(rowSlot[excludedRow]) : -1

        // Pass 1: bounds per row, then per individual.
        var dots = [Int32](repeating: 0, count: n)
        dots.withUnsafeMutableBufferPointer { quantized.dotProducts(with: q, into: $0) }
        var rowLow = [Float](repeating: -.infinity, count: slots)
        var rowHigh = [Float](repeating: -.infinity, count: slots)
        for r in 0..<n where r != excludedRow {
            let s = Int(rowSlot[r])
            if s == excludedSlot { continue }
            let (value, bound) = quantized.estimate(row: r, dot: dots[r], query: q)
            rowLow[s] = max(rowLow[s], value - bound)
            rowHigh[s] = max(rowHigh[s], value + bound)
        }
        var low = rowLow, high = rowHigh
        if withCentroids {
            var centroidDots = [Int32](repeating: 0, count: slots)
            centroidDots.withUnsafeMutableBufferPointer { quantizedCentroids.dotProducts(with: q, into: $0) }
            for s in 0..<slots where rowHigh[s] > -.infinity {
                let (value, bound) = quantizedCentroids.estimate(row: s, dot: centroidDots[s], query: q)
                low[s] = 0.5 * (rowLow[s] + value - bound)
                high[s] = 0.5 * (rowHigh[s] + value + bound)
            }
        }
        // The own slot's quantized centroid still holds the excluded photo: its bounds are not
        // sure, so it sets no floor (and is scored exactly below).
        if ownSlot >= 0 { low[ownSlot] = -.infinity }
        let floor = kthLargest(low, k: topK)

        // Pass 2: exact scores for the individuals that can still be in the top k.
        var candidate = [Bool](repeating: false, count: slots)
        for s in 0..<slots where rowHigh[s] > -.infinity && (high[s] >= floor || high[s].isNaN || s == ownSlot) {
            candidate[s] = true
        }
        var best = [Float](repeating: -.infinity, count: slots)
        var bestRow = [Int](repeating: -1, count: slots)
        embeddings.values.withUnsafeBufferPointer { g in
            query.withUnsafeBufferPointer { qv in
                for r in 0..<n where r != excludedRow {
                    let s = Int(rowSlot[r])
                    guard candidate[s] else { continue }
                    let (value, bound) = quantized.estimate(row: r, dot: dots[r], query: q)
                    // A row whose upper bound is below a sure score of its individual is not its best.
                    if value + bound < rowLow[s] { continue }
                    let v = cblas_sdot(Int32(d), g.baseAddress! + r * d, 1, qv.baseAddress, 1)
                    if bestRow[s] < 0 || v > best[s] {
                        best[s] = v
                        bestRow[s] = r
                    }
                }
                guard withCentroids else { return }
                centroids.withUnsafeBufferPointer { c in
                    for s in 0..<slots where bestRow[s] >= 0 {
                        let centroid = s == ownSlot
                            ? centroidScoreWithout(row: excludedRow,
                                                   rowScore: cblas_sdot(Int32(d), g.baseAddress! + excludedRow * d, 1, qv.baseAddress, 1),
                                                   query: query[...])
                            : cblas_sdot(Int32(d), c.baseAddress! + s * d, 1, qv.baseAddress, 1)
                        best[s] = 0.5 * (best[s] + centroid)
                    }
                }
            }
        }
        return selectTop(best: best, bestRow: bestRow, topK: topK)
    }

    /// The k-th largest of the finite values (−∞ when there are fewer than k).
    private func kthLargest(_ values: [Float], k: Int) -> Float {
        var top: [Float] = []
        top.reserveCapacity(k + 1)
        for v in values where v > -.infinity && !v.isNaN {
            if top.count == k, v <= top[k - 1] { continue }
            var i = top.count
            while i > 0, v > top[i - 1] { i -= 1 }
            top.insert(v, at: i)
            if top.count > k { top.removeLast() }
        }
        return top.count == k ? top[k - 1] : -.infinity
    }
}
