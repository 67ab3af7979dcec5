import FlukeMatch
import FlukeVision

/// Geometric verification as the station runs it: the global ranking's leaders are re-scored by
/// how many local features the query crop shares, under one similarity transform, with the
/// leader's closest catalog photos (`parameters.photosPerCandidate`; the best count stands). A
/// query or catalog photo without local features counts zero inliers, so its score keeps the
/// global value and stays comparable.
public struct LocalFeatureVerifier: Sendable {
    public let parameters: VerificationParameters

    public init(parameters: VerificationParameters) { self.parameters = parameters }

    /// `ranked`: global ranking, best first. Returns the first `parameters.candidates`, re-scored
    /// and re-sorted. `catalogFeatures` gives the features of a candidate's photos to compare
    /// (its closest first, at most `parameters.photosPerCandidate`; missing ones left out).
    public func rerank(_ ranked: [IndividualScore], query: LocalFeatures?,
                       catalogFeatures: (IndividualScore) throws -> [LocalFeatures]) throws -> [IndividualScore] {
        try GeometricReranking.rerank(ranked, parameters: parameters) { candidate in
            guard let query else { return 0 }
            var best = 0
            for other in try catalogFeatures(candidate).prefix(parameters.photosPerCandidate) {
                best = max(best, try query.inliers(with: other))
            }
            return best
        }
    }

    /// Threshold calibration's second stage over catalog rows, their local features looked up by row.
    public func calibrationReranking(_ local: @escaping LocalFeatureLookup) -> ThresholdCalibration.Reranking {
        ThresholdCalibration.Reranking(depth: parameters.candidates, photosPerCandidate: parameters.photosPerCandidate) {
            row, candidates, photos in
            try rerank(candidates, query: local(row)) { c in
                photos(c).compactMap { ThresholdCalibration.Reranking.row(ofKey: $0).flatMap(local) }
            }
        }
    }
}

/// A catalog row's local features (nil: none).
public typealias LocalFeatureLookup = (Int) -> LocalFeatures?
