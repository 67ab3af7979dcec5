import FlukeMatch
import FlukeVision
import Foundation

/// Turns a decoded photo into the recipe's raw feature vector: crop to the fluke (or not),
/// resize to the network's 224×224, run the int8 network up to the recipe's layer, grid-pool.
/// One per worker thread (it owns an XNNPACK runtime).
public final class FeatureExtractor {
    public let package: ModelPackage
    public let recipe: MatchingRecipe
    private let embedder: Embedder
    private let shape: (height: Int, width: Int, channels: Int)
    public static let inputSize = 224

    public init(package: ModelPackage, recipe: MatchingRecipe, precision: Embedder.Precision = .int8) throws {
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
        let pooled = try GridPooling(grid: recipe.grid ?? 1).pool(map, channels: shape.channels, height: shape.height,
                                                             width: shape.width, layout: .channelsLast)
        let t2 = DispatchTime.now().uptimeNanoseconds
        lastCropSeconds = Double(t1 - t0) / 1e9
        lastEmbedSeconds = Double(t2 - t1) / 1e9
        return (pooled, box)
    }
}
