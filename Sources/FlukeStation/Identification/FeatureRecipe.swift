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
    /// Dimension of the stored embeddings.
    public var outputDimension: Int

    /// FlukeWatch's recipe: the stride-16, 80-channel map pooled 7×7, then PCA (1536) and a
    /// regularised LDA (α 0.3) fitted on the catalog, kept to 384 dimensions
    /// (tools/research/README.md has the measurements behind each constant). Keeping all 1536
    /// LDA directions ranks about 0.02 better on right whales, but a 10 000-photo catalog then
    /// needs 60 MB for its embeddings and a search four times longer: too much for a 2 GB board.
    public static let standard = FeatureRecipe(layer: "s16_c80", grid: 7, project: true, pcaDimension: 1536, ldaAlpha: 0.3,
                                               outputDimension: 384)
    /// The frozen ImageNet baseline (TailNet 1.0): the network's final pooled vector, nearest neighbour.
    public static let baseline = FeatureRecipe(layer: "pooled", grid: 1, project: false, pcaDimension: 0, ldaAlpha: 0,
                                               outputDimension: 1280)

    public var projectionParameters: Projection.Parameters {
        Projection.Parameters(pcaDimension: pcaDimension, alpha: ldaAlpha, outputDimension: outputDimension)
    }

    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}
