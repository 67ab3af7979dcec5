/// How the global ranking's leaders are re-ranked by local-feature agreement (HotSpotter-style):
/// each of the first `candidates` individuals gets `weightPerInlier` per geometrically consistent
/// match between the query crop and that individual's best catalog photo, up to `inlierCap`.
///
/// Measured on the real right whales (tools/research/README.md, "Geometric verification"): with
/// the top 10 individuals, their best photo each, 0.01 per inlier capped at 30, top-1 rose from
/// 0.472 to 0.519 and MAP@5 at the oracle threshold from 0.749 to 0.776 over all 1 573 queries,
/// for about ten comparisons per photo. Scores shift upwards, so the thresholds are calibrated
/// on verified scores (`ThresholdCalibration` with a re-ranker).
public struct VerificationParameters: Sendable, Hashable, Codable {
    public var candidates: Int
    public var weightPerInlier: Float
    public var inlierCap: Int
    /// How many of each leader's closest catalog photos are compared; its evidence is the best
    /// count. (Absent from recipes stored before it existed, which decode as 1.)
    public var photosPerCandidate: Int

    public init(candidates: Int = 10, weightPerInlier: Float = 0.01, inlierCap: Int = 30, photosPerCandidate: Int = 1) {
        self.candidates = candidates
        self.weightPerInlier = weightPerInlier
        self.inlierCap = inlierCap
        self.photosPerCandidate = photosPerCandidate
    }

    enum CodingKeys: String, CodingKey {
        case candidates, weightPerInlier, inlierCap, photosPerCandidate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        candidates = try c.decode(Int.self, forKey: .candidates)
        weightPerInlier = try c.decode(Float.self, forKey: .weightPerInlier)
        inlierCap = try c.decode(Int.self, forKey: .inlierCap)
        photosPerCandidate = try c.decodeIfPresent(Int.self, forKey: .photosPerCandidate) ?? 1
    }

    /// The station's setting: each of the ten leaders checked against its two closest photos
    /// (right whales with the views: top-1 0.573 with one photo, 0.590 with two; research README).
    public static let standard = VerificationParameters(photosPerCandidate: 2)

    /// The most verification can add to a cosine score: verified scores run up to 1 plus this.
    public var maximumBonus: Double { Double(weightPerInlier) * Double(inlierCap) }
}

public enum GeometricReranking {
    /// `ranked`: the global ranking, best first (at least `parameters.candidates` long when the
    /// catalog has them); `inliers`: the verified match count of one candidate (its best photo is
    /// `photoKey`). Returns every verified candidate with its fused score, best first, ties by id;
    /// candidates beyond `parameters.candidates` are dropped, not verified.
    public static func rerank(_ ranked: [IndividualScore], parameters: VerificationParameters,
                              inliers: (IndividualScore) throws -> Int) rethrows -> [IndividualScore] {
        var fused: [IndividualScore] = []
        for candidate in ranked.prefix(parameters.candidates) {
            let n = min(max(try inliers(candidate), 0), parameters.inlierCap)
            fused.append(IndividualScore(individual: candidate.individual,
                                         score: candidate.score + parameters.weightPerInlier * Float(n),
                                         photoKey: candidate.photoKey))
        }
        return fused.sorted { a, b in
            a.score != b.score ? a.score > b.score : EvaluationSplit.utf8Precedes(a.individual, b.individual)
        }
    }

    /// A longer ranking with some individuals' scores replaced (the verified leaders), re-sorted:
    /// how a photo's full ranking reads once its leaders are verified (encounters and evaluation
    /// combine full rankings).
    public static func overlay(_ ranking: [IndividualScore], with verified: [IndividualScore]) -> [IndividualScore] {
        var replaced: [String: IndividualScore] = [:]
        for v in verified { replaced[v.individual] = v }
        return ranking.map { replaced[$0.individual] ?? $0 }.sorted { a, b in
            a.score != b.score ? a.score > b.score : EvaluationSplit.utf8Precedes(a.individual, b.individual)
        }
    }
}
