import FlukeMatch
import FlukeVision

/// Geometric verification as the station runs it: the global ranking's leaders are re-scored by
/// how many local features the query crop shares, under one similarity transform, with each
/// leader's best catalog photo. A query or catalog photo without local features counts zero
/// inliers, so its score keeps the global value and stays comparable.
public struct LocalFeatureVerifier: Sendable {
    public let parameters: VerificationParameters

    public init(parameters: VerificationParameters) { self.parameters = parameters }

    /// `ranked`: global ranking, best first. Returns the first `parameters.candidates`, re-scored
    /// and re-sorted. `catalogFeatures` looks up a candidate's best photo's features.
    public func rerank(_ ranked: [IndividualScore], query: LocalFeatures?,
                       catalogFeatures: (IndividualScore) throws -> LocalFeatures?) throws -> [IndividualScore] {
        try GeometricReranking.rerank(ranked, parameters: parameters) { candidate in
            guard let query, let other = try catalogFeatures(candidate) else { return 0 }
            return try query.inliers(with: other)
        }
    }

    /// Threshold calibration's second stage over catalog rows, their local features looked up by row.
    public func calibrationReranking(_ local: @escaping LocalFeatureLookup) -> ThresholdCalibration.Reranking {
        ThresholdCalibration.Reranking(depth: parameters.candidates) { row, candidates in
            try rerank(candidates, query: local(row)) { c in ThresholdCalibration.Reranking.row(of: c).flatMap(local) }
        }
    }
}

/// A catalog row's local features (nil: none).
public typealias LocalFeatureLookup = (Int) -> LocalFeatures?
