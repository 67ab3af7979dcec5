import FlukeCore
import FlukeMatch
import FlukeVision
import Foundation

/// Turns a decoded photo into the recipe's raw feature vector: crop to the fluke (or not),
/// resize to the network's 224×224, run the int8 network up to the recipe's layer, grid-pool.
/// One per worker thread (it owns an XNNPACK runtime).
public final class FeatureExtractor {
    public let package: ModelPackage
    /// The recipe whose vector `features(of:crop:)` returns; `extract` returns one per recipe of
    /// `recipes` (the first is this one), from one run of the network.
    public let recipe: MatchingRecipe
    public let recipes: [MatchingRecipe]
    private let embedder: Embedder
    /// Per recipe: which of the embedder's outputs it pools, and that output's shape.
    private let layerOf: [(output: Int, height: Int, width: Int, channels: Int)]
    public static let inputSize = 224

    /// Whether `extract` also computes the crop's local features (for geometric verification).
    /// Off, they are made on demand (`Extraction.localFeatures()`), as the daemon does: a photo
    /// whose leader is beyond doubt is not verified (`VerificationGate`).
    public let withLocalFeatures: Bool

    /// `localFeatures`: nil follows the recipe (on when it verifies).
    public init(package: ModelPackage, recipe: MatchingRecipe, also more: [MatchingRecipe] = [],
                precision: Embedder.Precision = .int8, localFeatures: Bool? = nil) throws {
        withLocalFeatures = localFeatures ?? (recipe.verification != nil)
        let recipes = [recipe] + more
        var layers: [String] = []
        var layerOf: [(Int, Int, Int, Int)] = []
        for r in recipes {
            guard let shape = package.outputShape(r.layer) else {
                throw IdentificationError.recipe("the model has no layer \(r.layer)")
            }
            if !layers.contains(r.layer) { layers.append(r.layer) }
            layerOf.append((layers.firstIndex(of: r.layer)!, shape.height, shape.width, shape.channels))
        }
        self.package = package
        self.recipe = recipe
        self.recipes = recipes
        self.layerOf = layerOf
        let (looks, headOutputs) = try Self.planLooks(recipes, package: package, layers: layers, precision: precision)
        self.embedder = try Embedder(package: package, outputs: headOutputs, precision: precision)
        self.looks = looks
        self.mapZooms = recipes.map { r in r.extraMapZooms.map { MapZoom(factor: $0, grid: r.grid ?? 1) } }
    }

    /// One extra look: a view, where it is made (nil: the image), how, and the recipes (indices
    /// into `recipes`) that average it in.
    private struct Look {
        enum Source {
            /// A whole network run on the turned crop.
            case image
            /// The inner map of the image's run turned, then the blocks after it.
            case innerMap(MapView, InnerRun)
        }

        let view: ViewTransform
        let at: String?
        let source: Source
        var recipes: [Int]
    }

    /// The blocks after one inner map, which of the image run's outputs holds that map, and its shape.
    private struct InnerRun {
        let blocksAfter: Embedder
        let headOutput: Int
        let shape: (height: Int, width: Int, channels: Int)
    }

    /// Every extra look any recipe asks for, each made once per photo.
    private let looks: [Look]

    /// Each extra look once, however many recipes share it, and the outputs the image's run
    /// must hand back: the recipes' layers, then each inner map views are made at (whose
    /// runtime of the blocks after it is built once, for all its views).
    private static func planLooks(_ recipes: [MatchingRecipe], package: ModelPackage, layers: [String],
                                  precision: Embedder.Precision) throws -> (looks: [Look], headOutputs: [String]) {
        var headOutputs = layers
        var innerRuns: [String: InnerRun] = [:]
        func innerRun(at tensor: String) throws -> InnerRun {
            if let run = innerRuns[tensor] { return run }
            guard let shape = package.outputShape(tensor) else {
                throw IdentificationError.recipe("the model has no inner map \(tensor) to make views at")
            }
            headOutputs.append(tensor)
            let run = InnerRun(blocksAfter: try Embedder(package: package, outputs: layers, from: tensor, precision: precision),
                               headOutput: headOutputs.count - 1, shape: shape)
            innerRuns[tensor] = run
            return run
        }
        var looks: [Look] = []
        for (i, r) in recipes.enumerated() {
            for v in r.extraViews {
                if let k = looks.firstIndex(where: { $0.view == v && $0.at == r.viewsAt }) {
                    looks[k].recipes.append(i)
                } else if let at = r.viewsAt {
                    let run = try innerRun(at: at)
                    let view = MapView(view: v, height: run.shape.height, width: run.shape.width, channels: run.shape.channels)
                    looks.append(Look(view: v, at: at, source: .innerMap(view, run), recipes: [i]))
                } else {
                    looks.append(Look(view: v, at: nil, source: .image, recipes: [i]))
                }
            }
        }
        return (looks, headOutputs)
    }
    /// Per recipe, the zooms each of its looks' pooled maps is also averaged in with.
    private let mapZooms: [[MapZoom]]

    /// The version stored feature vectors of the primary recipe are tagged with: the model's,
    /// plus the recipe's grid, views and map zooms (vectors made otherwise are not comparable).
    public var featureVersion: String { package.version + recipe.featureVersionSuffix }

    /// Timings of the last call, for `evaluate`'s per-stage report.
    public private(set) var lastCropSeconds = 0.0
    public private(set) var lastEmbedSeconds = 0.0
    public private(set) var lastLocalFeaturesSeconds = 0.0

    /// What one run of the network gave for a photo.
    public struct Extraction {
        /// One raw feature vector per recipe, in the order of `recipes`.
        public var vectors: [[Float]]
        /// Where the fluke was found (nil: the whole frame was used).
        public var box: FlukeBox?
        public var usefulness: PhotoUsefulness
        /// The 224×224 crop's SIFT features, when the extractor computes them.
        public var local: LocalFeatures?
        /// What the network saw (the fluke crop, or the whole frame), for local features made on demand.
        public var networkView: DecodedImage

        /// The crop's local features: those computed with the extraction, else computed now.
        public func localFeatures() throws -> LocalFeatures {
            if let local { return local }
            return try FeatureExtractor.localFeatures(of: networkView)
        }
    }

    /// The photo's raw feature vector and the fluke box used (nil: whole frame).
    public func features(of image: DecodedImage, crop: CropMode) throws -> (vector: [Float], box: FlukeBox?) {
        let e = try extract(from: image, crop: crop)
        return (e.vectors[0], e.box)
    }

    /// Every recipe's vector and the photo's usefulness. `fullWidth`: the photo's upright width at
    /// full resolution (the decoded image may be a reduced decode); nil when it is the decoded width.
    public func extract(from image: DecodedImage, crop: CropMode, fullWidth: Int? = nil) throws -> Extraction {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let (input, box) = try Self.networkView(of: image, crop: crop)
        let rgb = try input.resizedRGB(width: Self.inputSize, height: Self.inputSize)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let maps = try embedder.run(rgb: rgb)
        var vectors = try recipes.indices.map { try pooled(maps, recipe: $0) }
        let averaged = recipes.indices.filter { !recipes[$0].extraViews.isEmpty || !mapZooms[$0].isEmpty }
        if !averaged.isEmpty {
            // Every look's pooled vector (and its map zooms), each L2-normalised, summed with the crop's own.
            var sums: [[Float]?] = recipes.indices.map { averaged.contains($0) ? lookSum(vectors[$0], recipe: $0) : nil }
            for look in looks {
                let seen: [[Float]]
                switch look.source {
                case .image:
                    seen = try embedder.run(rgb: try RGBView.warped(rgb, size: Self.inputSize, degrees: look.view.degrees, zoom: look.view.zoom))
                case .innerMap(let view, let run):
                    seen = try run.blocksAfter.run(map: view.apply(maps[run.headOutput]))
                }
                for i in look.recipes {
                    let v = lookSum(try pooled(seen, recipe: i), recipe: i)
                    for j in v.indices { sums[i]![j] += v[j] }
                }
            }
            for i in recipes.indices { if let sum = sums[i] { vectors[i] = VectorMath.normalized(sum) } }
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        lastCropSeconds = Double(t1 - t0) / 1e9
        lastEmbedSeconds = Double(t2 - t1) / 1e9
        let usefulness = try Self.usefulness(of: input, box: box, crop: crop, in: image,
                                             scale: Double(fullWidth ?? image.width) / Double(max(image.width, 1)))
        let t3 = DispatchTime.now().uptimeNanoseconds
        let local = withLocalFeatures ? try Self.localFeatures(of: input) : nil
        lastLocalFeaturesSeconds = Double(DispatchTime.now().uptimeNanoseconds - t3) / 1e9
        return Extraction(vectors: vectors, box: box, usefulness: usefulness, local: local, networkView: input)
    }

    /// One look's share of the average: its pooled map normalised, plus each of the recipe's zooms of it, normalised.
    private func lookSum(_ pooled: [Float], recipe i: Int) -> [Float] {
        var sum = VectorMath.normalized(pooled)
        for zoom in mapZooms[i] {
            let z = VectorMath.normalized(zoom.apply(pooled))
            for j in z.indices { sum[j] += z[j] }
        }
        return sum
    }

    private func pooled(_ maps: [[Float]], recipe i: Int) throws -> [Float] {
        let layer = layerOf[i]
        return try GridPooling(grid: recipes[i].grid ?? 1).pool(maps[layer.output], channels: layer.channels,
                                                               height: layer.height, width: layer.width, layout: .channelsLast)
    }

    /// What the network sees (the fluke cut out at 224×224, or the whole frame) and the fluke
    /// box found (nil: whole frame, or no fluke).
    public static func networkView(of image: DecodedImage, crop: CropMode) throws -> (view: DecodedImage, box: FlukeBox?) {
        switch crop {
        case .none:
            return (image, nil)
        case .fluke:
            let box = try FlukeFinder.find(in: image)
            return (try FlukeFinder.crop(image, to: box, margin: FlukeFinder.defaultMargin, size: inputSize), box)
        }
    }

    /// Local features of the network's view, squared to 224×224 so every photo is verified at one scale.
    public static func localFeatures(of view: DecodedImage) throws -> LocalFeatures {
        let square = view.width == inputSize && view.height == inputSize
            ? view : try FlukeFinder.crop(view, to: nil, margin: 0, size: inputSize)
        return try LocalFeatures.extract(from: square)
    }

    /// Measured on the crop the network saw; sizes scaled back to full resolution.
    static func usefulness(of input: DecodedImage, box: FlukeBox?, crop: CropMode, in image: DecodedImage,
                           scale: Double) throws -> PhotoUsefulness {
        let q = try input.quality(fullWidth: input.width, fullHeight: input.height)
        let found = crop == .none || box != nil
        let regionWidth = box?.width ?? image.width
        // One pixel of slack: the finder's box is clamped to the frame.
        let cut = box.map { $0.x <= 1 || $0.y <= 1 || $0.x + $0.width >= image.width - 1 } ?? false
        return PhotoUsefulness(flukeFound: found, regionWidth: Int((Double(regionWidth) * scale).rounded()),
                               sharpness: q.sharpness, clippedHighlights: q.clippedHighlights,
                               clippedShadows: q.clippedShadows, cutByFrame: cut)
    }
}
