/// What the station concluded about one photo.
public enum SightingDecision: String, Sendable, Codable, CaseIterable {
    /// Decoded and measured; identification has not run on it yet.
    case awaitingIdentification = "awaiting-identification"
    case match
    case uncertain
    case new
}

/// Measures of how usable a photo is, computed on a reduced decode.
public struct QualityMeasures: Sendable, Equatable, Codable {
    /// Variance of the Laplacian of the grey image shrunk by a whole factor to a long side near 512
    /// pixels (342-682): higher is sharper.
    public var sharpness: Double
    /// Mean luminance, 0...255.
    public var meanLuminance: Double
    /// Fraction of pixels at or above 250 (blown highlights: glare, white water).
    public var clippedHighlights: Double
    /// Fraction of pixels at or below 5 (crushed shadows).
    public var clippedShadows: Double
    /// Upright size of the full-resolution image.
    public var width: Int
    public var height: Int

    public init(sharpness: Double, meanLuminance: Double, clippedHighlights: Double, clippedShadows: Double,
                width: Int, height: Int) {
        self.sharpness = sharpness
        self.meanLuminance = meanLuminance
        self.clippedHighlights = clippedHighlights
        self.clippedShadows = clippedShadows
        self.width = width
        self.height = height
    }
}
