import FlukeCore
import FlukeMatch
import Foundation

/// The station's settings, validated. Built from `flukewatch.toml` and/or command-line flags;
/// every field has a default a first try can live with, except the drop folders.
public struct StationConfig: Sendable, Equatable {
    public struct DropFolder: Sendable, Equatable {
        public var path: String
        public var camera: CameraLabel
        public var recursive: Bool

        public init(path: String, camera: CameraLabel, recursive: Bool = true) {
            self.path = path
            self.camera = camera
            self.recursive = recursive
        }
    }

    public var stationID: String = "station"
    public var stationName: String = "FlukeWatch station"
    /// Holds the database, thumbnails and (later) crops. Nothing is ever written to drop folders.
    public var stateDirectory: String = "/var/lib/flukewatch"
    public var dropFolders: [DropFolder] = []
    /// Photos processed at once (one thread each). One per core is the usual choice.
    public var workers: Int = 1
    /// A file found by a rescan is taken only once its size and time have not changed for this long.
    public var settleSeconds: Double = 2.0
    /// Photos whose header claims more pixels are refused before decoding (decompression bombs).
    public var maxPixels: Int = 150_000_000
    /// Long side of the review thumbnails, in pixels.
    public var thumbnailSize: Int = 320
    /// Long side the photo is decoded at (reduced JPEG decode at or above this): enough for the
    /// quality measures and for a fluke crop of 224×224; a 12 MP photo decodes at 1/4.
    public var analysisSize: Int = 640
    /// trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// Where the embedding model lives (nil: the standard places, see ModelLocator).
    public var modelDirectory: String?
    /// Crop photos to the fluke before embedding (false for catalogs of ready-made crops).
    public var cropToFluke: Bool = true
    /// Candidates kept per sighting.
    public var topK: Int = 5
    /// Photos of one camera less than this many seconds apart are one encounter, ranked with
    /// their evidence combined (0: no encounters). A burst as a fluke rises spans seconds; a
    /// minute keeps two whales surfacing one after the other apart more often than not.
    public var encounterGap: Double = 60
    /// What a photo must meet before it may be called a new individual (`PhotoUsefulness`).
    public var usefulness = PhotoUsefulness.Limits.standard
    /// Verify the leaders of every photo, even when the leader is beyond doubt (already a match,
    /// well ahead of the runner-up: `VerificationGate.station`). Off, such photos skip the SIFT
    /// and the checks.
    public var verifyEveryPhoto = false
    /// Embed each photo from one network run (the crop and its map zooms) instead of five (the
    /// crop and four turned, closer views): for a board too slow for five, at a measured cost in
    /// accuracy (`MatchingRecipe.fastStation`). Another feature space: switching it re-embeds the
    /// catalog in the background, as a new model does.
    public var fastEmbedding = false
    /// Where the four views are made (`[identification] views_at`): an inner map of the network
    /// (`MatchingRecipe.innerViewTensors`; by default the stride-8 map, which keeps the embedding
    /// within 10 ms) turned and zoomed, each view running only the blocks after it; nil, the
    /// image (four more whole network runs). Another feature space, as above. Ignored with
    /// `fast_embedding`, which makes no views.
    public var viewsAt: String? = MatchingRecipe.stationViewsAt
    /// Operator overrides of the calibrated thresholds.
    public var thresholdNew: Double?
    public var thresholdMatch: Double?
    /// `[review]`: the reviewer's name and the auto-confirm threshold.
    public var review = ReviewPolicy()
    /// `[hub]`: where and how to sync; nil: the station works alone.
    public var hub: HubSettings?

    public init() {}

    public var databasePath: String { (stateDirectory as NSString).appendingPathComponent("flukewatch.sqlite") }
    public var thumbnailDirectory: String { (stateDirectory as NSString).appendingPathComponent("thumbnails") }

    /// Where a config file is looked for: `--config`, then `$FLUKEWATCH_CONFIG`, then this.
    public static let defaultPath = "/etc/flukewatch/flukewatch.toml"
}

/// A config problem, pinned to the file, line and key (line 0 when it is not about one line).
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int
    public var key: String
    public var message: String

    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
