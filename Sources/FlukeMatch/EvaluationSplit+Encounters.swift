extension EvaluationSplit {
    /// The split's queries grouped as encounters, for measuring encounter-level identification:
    /// a known individual's query photos form one encounter (several photos of one animal at
    /// once); an unknown individual's photos, in row order, form encounters of up to `size`.
    /// Each encounter lists positions in `queryRows`.
    public func encounters(labels: [String], size: Int) -> [[Int]] {
        var positionsOf: [String: [Int]] = [:]
        var order: [String] = []
        for (position, row) in queryRows.enumerated() {
            let label = labels[row]
            if positionsOf[label] == nil { order.append(label) }
            positionsOf[label, default: []].append(position)
        }
        var out: [[Int]] = []
        for label in order {
            let positions = positionsOf[label]!
            guard queryIsNew[positions[0]] else {
                out.append(positions)
                continue
            }
            let step = max(size, 1)
            for start in stride(from: 0, to: positions.count, by: step) {
                out.append(Array(positions[start..<min(start + step, positions.count)]))
            }
        }
        return out
    }
}
