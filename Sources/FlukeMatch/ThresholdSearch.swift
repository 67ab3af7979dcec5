/// Exact threshold searches over ranked outcomes, shared by calibration (simulated queries from
/// the catalog) and evaluation (the 'oracle' threshold tuned on real queries, for comparison).
public enum ThresholdSearch {
    /// Average precision × 60 (the least common multiple of 1…5) for a query whose right label is
    /// at `rank` (1…5; 0 absent; -1 the query is new) when `before` candidates precede new_whale.
    /// Integers make sums exact, so ties between thresholds break the same way on every machine.
    static func scaledPrecision(before c: Int, rank r: Int) -> Int {
        if r == -1 { return c + 1 <= 5 ? 60 / (c + 1) : 0 }
        if r == 0 { return 0 }
        if c >= r { return 60 / r }
        return r + 1 <= 5 ? 60 / (r + 1) : 0
    }

    /// The new-individual threshold that maximises MAP@5, and that MAP@5.
    ///
    /// A query's precision depends only on how many of its top-5 candidates score at or above the
    /// threshold, which drops by one each time the threshold passes one of its scores: so MAP@5 is
    /// a step function whose steps are the candidates' scores. All steps are swept in one sorted
    /// pass; the threshold returned is the midpoint of the best step (the first, if several tie),
    /// or 0.01 beyond the extreme score when the best step is unbounded.
    public static func bestNewThreshold(_ outcomes: [QueryOutcome]) -> (threshold: Float, map5: Double) {
        guard !outcomes.isEmpty else { return (0, 0) }
        struct Event { var score: Float; var delta: Int }
        var events: [Event] = []
        events.reserveCapacity(outcomes.count * 5)
        var total = 0
        for o in outcomes {
            let top = o.candidates.prefix(5)
            let rank: Int
            switch o.truth {
            case .new: rank = -1
            case .known(let id): rank = top.firstIndex { $0.individual == id }.map { $0 + 1 } ?? 0
            }
            total += scaledPrecision(before: top.count, rank: rank)
            for (j, c) in top.enumerated() {
                // Once the threshold passes above candidate j, only j candidates precede new_whale.
                events.append(Event(score: c.score, delta: scaledPrecision(before: j, rank: rank)
                                        - scaledPrecision(before: j + 1, rank: rank)))
            }
        }
        // Stable sort so equal scores keep their order (not that it changes the group sums).
        let order = events.indices.sorted { events[$0].score < events[$1].score || (events[$0].score == events[$1].score && $0 < $1) }
        var bestTotal = total, bestIndex = 0  // index 0: threshold below every score
        var distinct: [Float] = []
        var i = 0
        while i < order.count {
            let s = events[order[i]].score
            while i < order.count, events[order[i]].score == s {
                total += events[order[i]].delta
                i += 1
            }
            distinct.append(s)
            if total > bestTotal {
                bestTotal = total
                bestIndex = distinct.count
            }
        }
        let threshold: Float
        if distinct.isEmpty {
            threshold = 0
        } else if bestIndex == 0 {
            threshold = distinct[0] - 0.01
        } else if bestIndex == distinct.count {
            threshold = distinct[distinct.count - 1] + 0.01
        } else {
            threshold = 0.5 * (distinct[bestIndex - 1] + distinct[bestIndex])
        }
        return (threshold, Double(bestTotal) / 60 / Double(outcomes.count))
    }

    /// The lowest threshold at or above `newThreshold` above which at least `precision` of the
    /// queries have the right individual first (queries whose individual is new count as wrong).
    /// The midpoint between the last accepted and the first rejected best score; if no threshold
    /// reaches the precision, 0.01 above the highest score (the policy then never says 'match').
    public static func matchThreshold(_ outcomes: [QueryOutcome], newThreshold: Float, precision: Double) -> Float {
        let ranked = outcomes.compactMap { o -> (score: Float, correct: Bool)? in
            guard let best = o.candidates.first else { return nil }
            return (best.score, o.rankOfTruth == 1)
        }.enumerated().sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
            .map(\.element)
        guard let top = ranked.first else { return newThreshold }
        var correct = 0
        var cut = -1
        for (i, q) in ranked.enumerated() {
            if q.correct { correct += 1 }
            let isBoundary = i + 1 == ranked.count || ranked[i + 1].score < q.score
            if isBoundary, q.score >= newThreshold, Double(correct) / Double(i + 1) >= precision { cut = i }
        }
        guard cut >= 0 else { return top.score + 0.01 }
        let t = cut + 1 < ranked.count ? 0.5 * (ranked[cut].score + ranked[cut + 1].score) : ranked[cut].score - 0.01
        return max(t, newThreshold)
    }
}
