import FlukeCore
import FlukeStore
import FlukeVision
import Foundation
import Logging

/// Fetches, once each, the crops of reference photos the hub sent as embeddings only, and keeps
/// their local features, so a whale known from another station's catalog is verified
/// geometrically like the station's own photos: without them it would count zero inliers and
/// lose to local look-alikes that collect a few chance inliers. The crop is also kept for the
/// review page.
struct HubReferenceCrops: Sendable {
    let client: HubClient
    let store: CatalogStore
    let stateDirectory: String
    let thumbnailSize: Int
    let analysisSize: Int
    let logger: Logger

    /// Crops asked for per round at most (each a few tens of KB on what may be a slow link).
    static let perRound = 100

    /// Returns how many catalog photos got local features. Throws when the hub cannot be reached;
    /// a crop the hub lacks or serves damaged is recorded, logged and not asked for again.
    func fetch() async throws -> Int {
        var stored = 0
        for sha in try store.hubReferenceCropsToFetch(limit: Self.perRound) {
            guard let data = try await client.downloadCrop(sha) else {
                try store.recordHubReferenceCrop(sha256: sha, outcome: .missing)
                logger.warning("sync: the hub has no crop \(sha) for a reference photo; it is matched by its embedding alone, without geometric verification",
                               metadata: [Logger.eventKey: "sync"])
                continue
            }
            let bytes = [UInt8](data)
            guard ContentHasher.hash(bytes: bytes).hex == sha else {
                try store.recordHubReferenceCrop(sha256: sha, outcome: .hashMismatch)
                logger.error("sync: the hub's crop \(sha) does not hash to its name (\(bytes.count) bytes) and is not used; the hub's crop store may be damaged, tell whoever runs the hub",
                             metadata: [Logger.eventKey: "sync"])
                continue
            }
            guard let image = PhotoThumbnail.decodeUpright(bytes, minLongSide: analysisSize),
                  let (view, box) = try? FeatureExtractor.networkView(of: image, crop: .fluke),
                  let local = try? FeatureExtractor.localFeatures(of: view) else {
                try store.recordHubReferenceCrop(sha256: sha, outcome: .unreadable)
                logger.warning("sync: the hub's crop \(sha) is not a readable image; its reference photo is matched by its embedding alone",
                               metadata: [Logger.eventKey: "sync"])
                continue
            }
            // Beside the station's own catalog crops, in the same frame (a cache: failing costs a placeholder).
            if let crop = try? PhotoThumbnail.flukeCrop(of: image, box: box, width: thumbnailSize) {
                try? DerivedFile.store(crop, at: "\(stateDirectory)/\(StateDirectoryLayout.catalogCrop(sha256: sha))")
            }
            stored += try store.recordHubReferenceCrop(sha256: sha, outcome: .features, localFeatures: local.blob)
        }
        return stored
    }
}
