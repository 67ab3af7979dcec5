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
    /// Requests without a valid token (missing, unknown or revoked, and /v1/health), per client
    /// address: a station with a typo in its token still hears 401, a flood of guesses gets 429
    /// before it costs the hub a database read each.
    public var anonymousPerSecond: Double = 5
    public var anonymousBurst: Int = 30
    /// Behind a reverse proxy on loopback every client is 127.0.0.1; with this set, a request
    /// from a loopback peer is counted under the last address in its X-Forwarded-For.
    public var trustForwardedFor = false

    public init() {}
}
