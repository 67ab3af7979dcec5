import FlukeCore

/// Ranks an encounter — several photos of one animal taken moments apart, a burst as the fluke
/// rose — as one query, so the encounter yields one decision instead of one per photo.
///
/// Each photo ranks every catalog individual; an individual's encounter score is the mean of its
/// scores over the encounter's photos. A mark hidden by spray in one frame is visible in the next,
/// so the right individual tends to score well in most frames, while a look-alike that one frame
/// favours by chance falls back in the others. The mean stays on the scale of a single photo's
/// score, so the station's thresholds keep their meaning.
public enum EncounterRanking {
    /// `photoRankings`: per photo, scores of (at least) every individual that should compete —
    /// normally the full ranking. An individual missing from a photo's list counts with that
    /// photo's lowest listed score (it ranked below everything listed). Returns the top `topK`,
    /// best first, ties broken by individual id; each keeps the catalog photo of its best frame.
    public static func combine(_ photoRankings: [[IndividualScore]], topK: Int) -> [IndividualScore] {
        let frames = photoRankings.filter { !$0.isEmpty }
        guard !frames.isEmpty, topK > 0 else { return [] }
        var total: [String: Float] = [:]
        var best: [String: IndividualScore] = [:]
        for frame in frames {
            for s in frame {
                if let b = best[s.individual], b.score >= s.score { continue }
                best[s.individual] = s
            }
        }
        for frame in frames {
            let floor = frame.map(\.score).min()!
            var seen: [String: Float] = [:]
            for s in frame where seen[s.individual] == nil { seen[s.individual] = s.score }
            for individual in best.keys { total[individual, default: 0] += seen[individual] ?? floor }
        }
        let n = Float(frames.count)
        let ranked = best.values.map { IndividualScore(individual: $0.individual, score: total[$0.individual]! / n,
                                                       photoKey: $0.photoKey) }
        return Array(ranked.sorted { a, b in
            a.score != b.score ? a.score > b.score : EvaluationSplit.utf8Precedes(a.individual, b.individual)
        }.prefix(topK))
    }

    /// The encounter's call from its photos' rankings and their combination. A camera can
    /// photograph two whales of a pod within the gap; averaging their evidence favours neither
    /// and can call a *new* whale where each photo matched a known one. So the call is
    /// `uncertain` (a person decides) whenever the photos disagree: two match different
    /// individuals confidently, or the combination says new while a photo matched.
    public static func decide(_ photoRankings: [[IndividualScore]], combined: [IndividualScore],
                              policy: DecisionPolicy) -> SightingDecision {
        let matched = Set(photoRankings.compactMap { ranking in
            ranking.first.flatMap { policy.decide(candidates: [$0]) == .match ? $0.individual : nil }
        })
        let decision = policy.decide(candidates: combined)
        return matched.count > 1 || (decision == .new && !matched.isEmpty) ? .uncertain : decision
    }
}
