extension Gallery {
    /// An individual's photos that score best against `query` (a projected vector), best first:
    /// at most `count`, never `excluded` (a simulated query's own photo). Geometric verification
    /// checks a leader's few closest photos, not only its single best.
    public func bestPhotoKeys(of individual: String, query: [Float], count: Int, excluding excluded: String? = nil) -> [String] {
        guard count > 0, query.count == dimension, let slot = slotOfIndividual[individual] else { return [] }
        var scored: [(score: Float, row: Int)] = []
        for row in 0..<self.count where rowSlot[row] == slot && photoKeys[row] != excluded {
            var dot: Float = 0
            let values = embeddings.row(row)
            var k = values.startIndex
            for q in query {
                dot += q * values[k]
                k += 1
            }
            scored.append((dot, row))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }
        return scored.prefix(count).map { photoKeys[$0.row] }
    }
}
