extension Gallery {
    /// How one individual's photos combine into its score for a query.
    public enum Aggregation: String, Sendable, Hashable, Codable {
        /// The best cosine over the individual's photos: one good photo is enough.
        case maximum
        /// The mean of that best cosine and the cosine to the individual's centroid (the normalised
        /// sum of its photos). The centroid rewards a query that resembles the individual in
        /// general, the maximum one that matches a single photo closely; on real right whales the
        /// mean of both beat either alone (top-1 +0.01, top-5 +0.02 over the maximum) at the cost
        /// of one more, smaller `sgemv` (individuals × dimension).
        case maximumAndCentroid
    }
}
