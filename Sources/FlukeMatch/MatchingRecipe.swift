/// Everything that turns a convnet's outputs into the scores a station decides on, as one value a
/// station stores beside its catalog (as JSON) and a command line can switch (`--baseline`).
///
/// The constants of `recommended` were measured on real right-whale photos
/// (tools/research/README.md): stride-16 80-channel map pooled 7×7, PCA to 1536, regularised LDA
/// with α = 0.1 keeping every direction, per-individual score the mean of the best photo and the
/// centroid. `baseline` is the frozen ImageNet recipe it is compared with.
public struct MatchingRecipe: Sendable, Hashable, Codable {
    /// Name of the network output the features come from (`s16_c80`, `pooled`, ...).
    public var layer: String
    /// Grid the feature map is average-pooled on; nil when the output is already a vector.
    public var grid: Int?
    /// The learned projection fitted on the catalog; nil to match the pooled features directly.
    public var projection: Projection.Parameters?
    public var aggregation: Gallery.Aggregation
    /// Re-rank the leaders by local-feature agreement; nil: the global ranking decides alone.
    /// (Absent from recipes stored before verification existed, which decode as nil.)
    public var verification: VerificationParameters?
    /// Extra looks at the crop whose pooled features are averaged with the crop's own, each
    /// L2-normalised first; nil: the crop alone. (Absent from recipes stored before views existed.)
    public var views: [ViewTransform]?
    /// Each look's pooled map (the crop's and every view's) is also averaged in magnified by these
    /// factors (`MapZoom`), at no network cost; nil: none. (Absent from recipes stored before.)
    public var mapZooms: [Double]?
    /// Where the views are made: nil, the image (each view a whole network run); else an inner
    /// tensor of the network (`b2_out`) whose map is turned and zoomed instead, so each view
    /// runs only the blocks after it (`MapView`). (Absent from recipes stored before.)
    public var viewsAt: String?

    public init(layer: String, grid: Int?, projection: Projection.Parameters?, aggregation: Gallery.Aggregation,
                verification: VerificationParameters? = nil, views: [ViewTransform]? = nil, mapZooms: [Double]? = nil,
                viewsAt: String? = nil) {
        self.layer = layer
        self.grid = grid
        self.projection = projection
        self.aggregation = aggregation
        self.verification = verification
        self.views = views
        self.mapZooms = mapZooms
        self.viewsAt = viewsAt
    }

    public static let recommended = MatchingRecipe(
        layer: "s16_c80", grid: 7,
        projection: Projection.Parameters(pcaDimension: 1536, alpha: 0.1, outputDimension: nil, eigenvaluePower: 0),
        aggregation: .maximumAndCentroid)

    /// For catalogs whose 1536-float embeddings would be too large to search: 384-dimensional
    /// embeddings, top-1 about 0.02 lower on right whales.
    public static let compact = MatchingRecipe(
        layer: "s16_c80", grid: 7,
        projection: Projection.Parameters(pcaDimension: 1536, alpha: 0.3, outputDimension: 384, eigenvaluePower: 0),
        aggregation: .maximumAndCentroid)

    /// The frozen ImageNet recipe (the seed's TailNet 1.0): final pooled vector, nearest photo.
    public static let baseline = MatchingRecipe(layer: "pooled", grid: nil, projection: nil, aggregation: .maximum)
}
