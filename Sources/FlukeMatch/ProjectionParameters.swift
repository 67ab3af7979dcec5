extension Projection {
    /// The recipe's constants. The defaults are the ones measured best on real right-whale photos
    /// (tools/research/README.md); a station may override them, and they travel with the fitted
    /// projection so a refit asks for the same thing.
    public struct Parameters: Sendable, Equatable, Hashable, Codable {
        /// PCA components kept before LDA (capped at training rows − 1 and the input dimension).
        /// PCA first because the within-class scatter of a few thousand photos in thousands of
        /// dimensions is singular; PCA keeps the directions where photos differ at all.
        public var pcaDimension: Int
        /// Shrinkage of the within-class scatter toward tr(Sw)/p · I, in (0, 1]. With two to ten
        /// photos per individual Sw is noisy; without shrinkage LDA chases that noise.
        public var alpha: Double
        /// LDA directions kept (nil: as many as PCA components). Keeping all of them makes the
        /// projection a shrunk within-individual whitening of the PCA space, which ranked best;
        /// fewer give smaller, faster embeddings at some cost (384: top-1 −0.02 on right whales).
        public var outputDimension: Int?
        /// Each LDA direction is scaled by (its eigenvalue)^power: 0 weighs all kept directions
        /// equally (whitened within-class), a small positive power favours the most discriminative.
        public var eigenvaluePower: Double

        public init(pcaDimension: Int = 1536, alpha: Double = 0.1, outputDimension: Int? = nil,
                    eigenvaluePower: Double = 0)
        {
            self.pcaDimension = pcaDimension
            self.alpha = alpha
            self.outputDimension = outputDimension
            self.eigenvaluePower = eigenvaluePower
        }

        func validate() throws(ProjectionError) {
            guard pcaDimension >= 1 else { throw .invalidParameter("pcaDimension must be ≥ 1, got \(pcaDimension)") }
            guard alpha > 0, alpha <= 1 else { throw .invalidParameter("alpha must lie in (0, 1], got \(alpha)") }
            if let k = outputDimension, k < 1 { throw .invalidParameter("outputDimension must be ≥ 1, got \(k)") }
            guard eigenvaluePower.isFinite else { throw .invalidParameter("eigenvaluePower must be finite") }
        }
    }
}
