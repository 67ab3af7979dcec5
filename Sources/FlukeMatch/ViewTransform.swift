/// One extra look at the network's square crop: rotated counter-clockwise by `degrees` and zoomed
/// by `zoom` about its centre. A recipe's views are embedded beside the crop itself and their
/// pooled features averaged, so the vector no longer hinges on how square-on, and how close, the
/// photographer happened to be.
public struct ViewTransform: Sendable, Hashable, Codable {
    public var degrees: Double
    public var zoom: Double

    public init(degrees: Double, zoom: Double) {
        self.degrees = degrees
        self.zoom = zoom
    }

    /// Measured on the real right whales (tools/research/README.md, "Several views"): the crop
    /// and four turned, slightly closer looks (±10°, ±20°) took the station recipe's top-1 from
    /// 0.455 to 0.562 before verification (mean of three splits). ±3.5° alone gives a third of
    /// that; adding ±30° or ±45°, or more views in between, gives nothing more for two to eight
    /// more network runs. The zoom keeps a turned square free of empty corners.
    public static let standard: [ViewTransform] = [
        ViewTransform(degrees: 10, zoom: 1.18), ViewTransform(degrees: -10, zoom: 1.18),
        ViewTransform(degrees: 20, zoom: 1.35), ViewTransform(degrees: -20, zoom: 1.35),
    ]
}

extension MatchingRecipe {
    /// The recipe's extra views (none: the crop alone).
    public var extraViews: [ViewTransform] { views ?? [] }

    /// The factors every look's map is also magnified by (none: the looks alone).
    public var extraMapZooms: [Double] { mapZooms ?? [] }
}
