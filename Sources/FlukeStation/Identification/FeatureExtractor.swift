import FlukeMatch
import FlukeVision
import Foundation

/// Turns a decoded photo into the recipe's raw feature vector: crop to the fluke (or not),
/// resize to the network's 224×224, run the int8 network up to the recipe's layer, grid-pool.
/// One per worker thread (it owns an XNNPACK runtime).
public final class FeatureExtractor {
    public let package: ModelPackage
    public let recipe: FeatureRecipe
    private let embedder: Embedder
    private let shape: (height: Int, width: Int, channels: Int)
    public static let inputSize = 224

    public init(package: ModelPackage, recipe: FeatureRecipe, precision: Embedder.Precision = .int8) throws {
        guard let shape = package.outputShape(recipe.layer) else {
            throw IdentificationError.recipe("the model has no layer \(recipe.layer)")
        }
        self.package = package
        self.recipe = recipe
        self.shape = shape
        self.embedder = try Embedder(package: package, outputs: [recipe.layer], precision: precision)
    }

    /// Timings of the last call, for `evaluate`'s per-stage report.
    public private(set) var lastCropSeconds = 0.0
    public private(set) var lastEmbedSeconds = 0.0

    /// The photo's raw feature vector and the fluke box used (nil: whole frame).
    public func features(of image: DecodedImage, crop: CropMode) throws -> (vector: [Float], box: FlukeBox?) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var box: FlukeBox?
        let input: DecodedImage
        switch crop {
        case .none:
            input = image
        case .fluke:
            box = try FlukeFinder.find(in: image)
            input = try FlukeFinder.crop(image, to: box, margin: FlukeFinder.defaultMargin, size: Self.inputSize)
        }
        let rgb = try input.resizedRGB(width: Self.inputSize, height: Self.inputSize)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let map = try embedder.run(rgb: rgb)[0]
        let pooled = try GridPooling(grid: recipe.grid).pool(map, channels: shape.channels, height: shape.height,
                                                             width: shape.width, layout: .channelsLast)
        let t2 = DispatchTime.now().uptimeNanoseconds
        lastCropSeconds = Double(t1 - t0) / 1e9
        lastEmbedSeconds = Double(t2 - t1) / 1e9
        return (pooled, box)
    }
}

public enum IdentificationError: Error, CustomStringConvertible {
    case recipe(String)
    case noCatalog(String)
    case modelNotFound([String])
    case catalogTooSmall(individuals: Int)

    public var description: String {
        switch self {
        case .recipe(let m): "identification recipe: \(m)"
        case .noCatalog(let version):
            "the station has no catalog for model \(version) yet; import one with `flukewatch catalog import CSV`"
        case .catalogTooSmall(let n):
            "the catalog has \(n) individual(s); thresholds can be calibrated from 2 individuals on (the photos are kept: import more and they will be fitted)"
        case .modelNotFound(let places):
            "no embedding model found (looked in \(places.joined(separator: ", "))); set [identification] model_dir or FLUKEWATCH_MODEL_DIR"
        }
    }
}
