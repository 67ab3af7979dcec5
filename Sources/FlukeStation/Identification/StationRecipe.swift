import FlukeMatch
import FlukeVision
import Foundation

/// Whether photos are cropped to the fluke before embedding (`--crop fluke|none`). Catalogs of
/// already-cropped photos (and aerial head crops) use `none`.
public enum CropMode: String, Sendable, Codable, CaseIterable {
    case fluke
    case none
}

extension MatchingRecipe {
    /// The recipe a station runs: FlukeMatch's `compact` (stride-16 map, PCA 1536, LDA kept to 384
    /// dimensions), averaged over the crop and four turned, closer views (`ViewTransform.standard`),
    /// its leaders verified geometrically (`VerificationParameters.standard`).
    ///
    /// Once the views are averaged the map is kept whole (14×14, `stationGrid`) instead of pooled
    /// 7×7, with the LDA shrunk less (α 0.2): global top-1 on the right whales 0.559 → 0.613, top-5
    /// 0.703 → 0.729 (fp32, mean of two splits; tools/research/view_pooling.py). The views blur
    /// each position a little, which is what made the finer grid worthless on a single view.
    /// The raw vectors are four times longer (15 680 floats, 63 KB a photo in the catalog
    /// database); the projected ones the station searches stay 384-dimensional.
    /// `recommended` keeps all 1536 LDA directions and ranks about 0.02 better on right whales,
    /// but a 10 000-photo catalog then needs 60 MB for its embeddings and a search four times
    /// longer: too much for a 2 GB board.
    ///
    /// The views are made at the stride-8 map (`stationViewsAt`), not on the image: one network
    /// run and four runs of its last blocks, so the embedding alone takes 9.1 ms on one core
    /// instead of 26.1 ms and keeps to the accuracy issue's 10 ms. It ranks a little lower with
    /// the frozen trunk (right whales, seeds 1 / 3 / 4: top-1 0.626 / 0.614 / 0.639 against
    /// 0.648 / 0.628 / 0.644 on the image); packages fine-tuned with those views in their
    /// training loop (`tools/train`, `--map-views 0.5`) read 0.657 / 0.637 / 0.651 top-1 and
    /// 0.778 / 0.725 / 0.761 top-5. `stationWithImageViews` is the recipe on the image
    /// (`[identification] views_at = "image"`).
    public static let station: MatchingRecipe = {
        var recipe = MatchingRecipe.compact
        recipe.grid = stationGrid
        recipe.projection?.alpha = 0.2
        recipe.verification = .standard
        recipe.views = ViewTransform.standard
        recipe.mapZooms = stationMapZooms
        recipe.viewsAt = stationViewsAt
        return recipe
    }()

    /// Where the station makes its four views by default: block 4's stride-8 map (see `station`).
    public static let stationViewsAt = "s8_c40"

    /// The station's recipe with its four views made on the image (four more whole network runs,
    /// 26.1 ms for the embedding alone): the most accurate with the frozen trunk, for boards
    /// that can afford it.
    public static let stationWithImageViews = station.viewsMade(at: nil)

    /// The station's recipe from one network run per photo: the crop and its map zooms, without the
    /// four turned, closer views (`[identification] fast_embedding`). A fifth of the image views'
    /// network work (7.1 ms against 36.7 ms on a slow host), for a lower top-1 on the right whales: 0.585
    /// against 0.640 with the frozen trunk, mean of three splits (`evaluate --fast-embedding`;
    /// README, "Identification").
    public static let fastStation = station.withoutViews

    /// This recipe from the crop's run alone: its views dropped, everything else (grid, map
    /// zooms, projection, verification) kept.
    public var withoutViews: MatchingRecipe {
        var recipe = self
        recipe.views = nil
        recipe.viewsAt = nil
        return recipe
    }

    /// Each look's map is also averaged in magnified by the zooms of the turned views (`MapZoom`):
    /// no network run. On the right whales (seed 1, int8) the frozen trunk's global top-1 rises
    /// 0.590 → 0.628 and the station's 0.620 → 0.645; fine-tuned trunks gain about +0.02
    /// (tools/research/README.md, "Five views for the price of fewer").
    public static let stationMapZooms = [1.18, 1.35]

    /// The inner maps the station's views can be made at instead of the image (`viewsAt`,
    /// `[identification] views_at`), each measured on the right whales (tools/research/README.md,
    /// "Views made inside the network"): `b2_out`, block 2's stride-4 map (56×56×24), after
    /// which a view runs blocks 3–7; `s8_c40`, block 4's stride-8 map (28×28×40), after which
    /// it runs blocks 5–7.
    public static let innerViewTensors = ["b2_out", "s8_c40"]

    /// The places `views_at` and `evaluate --views-at` accept: "image", then the inner maps.
    public static let viewPlaces = ["image"] + innerViewTensors

    /// The `viewsAt` a place of `viewPlaces` names: nil for "image", else the tensor.
    public static func viewsAt(place: String) -> String? {
        precondition(viewPlaces.contains(place), "\(place) is not one of \(viewPlaces)")
        return place == "image" ? nil : place
    }

    /// What embedding a photo costs, in the daemon's start line's words.
    public var embeddingWork: String {
        guard !extraViews.isEmpty else { return "1 network run a photo" }
        guard let viewsAt else { return "\(extraViews.count + 1) network runs a photo" }
        return "1 network run a photo and \(extraViews.count) views made at its \(viewsAt) map"
    }

    /// This recipe with its views made at `tensor` (nil: on the image).
    public func viewsMade(at tensor: String?) -> MatchingRecipe {
        var recipe = self
        recipe.viewsAt = tensor
        return recipe
    }

    /// The `s16_c80` map's own resolution: every position kept.
    public static let stationGrid = 14

    /// Stored with the fitted catalog, so a station can say how its decisions were made.
    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}

extension ModelPackage {
    /// The version feature vectors made with `recipe` are stored, looked up and fitted under:
    /// the model's own, plus the recipe's views when it averages several (see `MatchingRecipe.featureVersionSuffix`).
    public func featureVersion(_ recipe: MatchingRecipe = .station) -> String { version + recipe.featureVersionSuffix }
}

/// The scores a station decides on: a cosine, plus what geometric verification adds to it.
/// Operator thresholds (`threshold_new`, `threshold_match`, `auto_confirm_above`) are checked
/// against this range.
public enum StationScore {
    public static let range: ClosedRange<Double> = -1...(1 + (MatchingRecipe.station.verification?.maximumBonus ?? 0))

    static var explained: String {
        String(format: "a score from -1 to %.2g (a cosine, plus up to %.2g for matching local features)",
               range.upperBound, range.upperBound - 1)
    }
}

extension VerificationGate {
    /// The daemon's gate: a matching leader more than 0.1 ahead (ten inliers) is not verified.
    /// On the right whales (`evaluate`'s `verification_gate`, seeds 1 and 2) it skips 12.9% of the
    /// query photos against 4.5% and 3.9% for the exact 0.3, and no photo-level figure moves at
    /// any margin down to 0.1; at 0.05 MAP@5 moves by 0.0001, and at 0 one top-1 is lost.
    public static let station = VerificationGate(margin: 0.1)
}

extension StationConfig {
    /// The gate identification runs under: the station's, unless `verify_every_photo` is set.
    public var verificationGate: VerificationGate? { verifyEveryPhoto ? nil : .station }

    /// The recipe this station embeds and identifies with: the station's, or its one-run form
    /// when `fast_embedding` is set.
    public var recipe: MatchingRecipe { fastEmbedding ? .fastStation : MatchingRecipe.station.viewsMade(at: viewsAt) }
}
