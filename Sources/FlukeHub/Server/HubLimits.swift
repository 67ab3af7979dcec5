/// What the hub accepts; the defaults suit stations on satellite links (small batches, thumbnails).
public struct HubLimits: Sendable {
    /// A batch body, in bytes (500 sightings with 3 920-float embeddings are about 11 MB).
    public var maxBatchBytes: Int = 16 * 1024 * 1024
    /// A crop is a review thumbnail (320 px JPEG, tens of KB); a full frame is refused.
    public var maxCropBytes: Int = 1024 * 1024
    /// Curator request bodies.
    public var maxCuratorBytes: Int = 64 * 1024
    /// Requests per second per token, and how many may come at once (a round of 200 items
    /// with new crops is about 400 requests: a HEAD and a PUT per crop, then the batch).
    public var requestsPerSecond: Double = 50
    public var burst: Int = 500

    public init() {}
}
