import FlukeMatch
import Foundation

/// Whether photos are cropped to the fluke before embedding (`--crop fluke|none`). Catalogs of
/// already-cropped photos (and aerial head crops) use `none`.
public enum CropMode: String, Sendable, Codable, CaseIterable {
    case fluke
    case none
}

/// How a photo becomes a feature vector and how vectors are compared: which feature map of the
/// network, pooled on which grid, and whether a catalog-fitted projection follows. Stored as JSON
/// with the catalog model, so a station can say exactly how its decisions were made.
public struct FeatureRecipe: Sendable, Codable, Equatable {
    /// Network output used (see models/MODEL_CARD.md).
    public var layer: String
    /// Average-pooling grid over the map (1: global average).
    public var grid: Int
    /// Fit PCA + regularised LDA on the catalog's own labels (false: raw cosine).
    public var project: Bool
    public var pcaDimension: Int
    public var ldaAlpha: Double

    /// FlukeWatch's recipe: the stride-16, 80-channel map pooled 7×7, then a projection fitted on
    /// the catalog (tools/research/README.md has the measurements behind each constant).
    public static let standard = FeatureRecipe(layer: "s16_c80", grid: 7, project: true, pcaDimension: 1536, ldaAlpha: 0.1)
    /// The frozen ImageNet baseline (TailNet 1.0): the network's final pooled vector, nearest neighbour.
    public static let baseline = FeatureRecipe(layer: "pooled", grid: 1, project: false, pcaDimension: 0, ldaAlpha: 0)

    public var projectionParameters: Projection.Parameters {
        Projection.Parameters(pcaDimension: pcaDimension, alpha: ldaAlpha)
    }

    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}
