/// How useful one photo is for identification, measured on the crop the network sees.
///
/// A blurry splash, a fluke three pixels wide or a frame blown white by glare still gets a
/// ranking. Its best score is usually low because nothing in it resembles anything, and read
/// naively that low score says "a whale nobody has seen": a new individual enters the population
/// log. Just as wrongly, a featureless frame can land close to one catalogued whale (a blank sea
/// frame scored 0.82 against a small synthetic catalog in the tests) and be logged as a match.
/// So a photo that fails any rule below is *unusable*: it is still recorded and ranked, but the
/// machine decides nothing about it — it is `uncertain`, for a person (never new, never an
/// automatic match).
public struct PhotoUsefulness: Sendable, Equatable, Codable {
    /// Whether the fluke finder found a fluke (true when the photos come already cropped).
    public var flukeFound: Bool
    /// Width of the identified region in full-resolution pixels.
    public var regionWidth: Int
    /// Variance of the Laplacian of the grey crop (the network's 224×224 input): higher is sharper.
    public var sharpness: Double
    /// Fractions of the crop's pixels at or above 250 and at or below 5.
    public var clippedHighlights: Double
    public var clippedShadows: Double
    /// Whether the region touches the frame's left, right or top edge: a fluke cut by the frame has
    /// lost part of its trailing edge, the very marks that identify it.
    public var cutByFrame: Bool

    public init(flukeFound: Bool, regionWidth: Int, sharpness: Double, clippedHighlights: Double,
                clippedShadows: Double, cutByFrame: Bool) {
        self.flukeFound = flukeFound
        self.regionWidth = regionWidth
        self.sharpness = sharpness
        self.clippedHighlights = clippedHighlights
        self.clippedShadows = clippedShadows
        self.cutByFrame = cutByFrame
    }

    /// The limits a photo must meet; configurable because cameras differ.
    public struct Limits: Sendable, Equatable, Codable {
        /// Narrower than this and the trailing-edge notches are a pixel or two.
        public var minimumRegionWidth: Int
        /// Below this the crop is motion- or focus-blurred beyond its marks.
        public var minimumSharpness: Double
        /// More clipped than this and glare or white water hides the pattern.
        public var maximumClipped: Double

        public init(minimumRegionWidth: Int = 160, minimumSharpness: Double = 100, maximumClipped: Double = 0.25) {
            self.minimumRegionWidth = minimumRegionWidth
            self.minimumSharpness = minimumSharpness
            self.maximumClipped = maximumClipped
        }

        public static let standard = Limits()
    }

    /// Why a photo is not usable, one plain sentence per failed rule; empty when usable.
    public func problems(under limits: Limits = .standard) -> [String] {
        var out: [String] = []
        if !flukeFound { out.append("no fluke found in the frame") }
        if regionWidth < limits.minimumRegionWidth {
            out.append("the fluke is only \(regionWidth) px wide (needs \(limits.minimumRegionWidth))")
        }
        if sharpness < limits.minimumSharpness {
            out.append("blurred (sharpness \(Int(sharpness.rounded())), needs \(Int(limits.minimumSharpness)))")
        }
        if clippedHighlights + clippedShadows > limits.maximumClipped {
            let percent = Int(((clippedHighlights + clippedShadows) * 100).rounded())
            out.append("\(percent)% of the fluke is blown out or black (glare, spray or deep shadow)")
        }
        if cutByFrame { out.append("the fluke is cut by the edge of the frame") }
        return out
    }

    public func isUsable(under limits: Limits = .standard) -> Bool { problems(under: limits).isEmpty }

    /// The station's call once usefulness is considered: an unusable photo's 'new' or 'match'
    /// becomes 'uncertain' (a person decides); a usable photo's call stands.
    public func gate(_ decision: SightingDecision, under limits: Limits = .standard) -> SightingDecision {
        (decision == .new || decision == .match) && !isUsable(under: limits) ? .uncertain : decision
    }

    /// 0...1, for sorting and for the log: the weakest rule's margin, 0.5 exactly at its limit and
    /// 1 at twice it; so a usable photo scores at least 0.5.
    public func score(under limits: Limits = .standard) -> Double {
        guard flukeFound, !cutByFrame else { return 0 }
        let width = Double(regionWidth) / Double(max(limits.minimumRegionWidth, 1)) / 2
        let sharp = sharpness / max(limits.minimumSharpness, 1e-9) / 2
        let exposure = 1 - (clippedHighlights + clippedShadows) / max(limits.maximumClipped, 1e-9) / 2
        return max(0, min(1, width, sharp, exposure))
    }
}
