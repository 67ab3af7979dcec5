import Foundation

/// The `[hub]` section: where the station syncs and how gently. Without the section the
/// station works alone and `flukewatch sync` says how to set it up.
public struct HubSettings: Sendable, Equatable {
    /// The hub's base URL, e.g. https://hub.example.org (TLS ends at the hub's reverse proxy).
    public var url: URL
    /// The bearer token `flukewatch-hub station add STATION` printed.
    public var token: String
    /// Bytes (item JSON plus crops) sent per round at most: a satellite link is paid by the byte.
    public var maxBytesPerRound: Int = 1_048_576
    /// Items per request to the hub (the hub takes at most 500).
    public var batchItems: Int = 200
    /// Seconds between rounds while everything goes well (the daemon and `flukewatch sync`).
    public var intervalSeconds: Double = 300
    /// Backoff after a failed round: doubling from the first value up to the second, with jitter.
    public var retryMinSeconds: Double = 5
    public var retryMaxSeconds: Double = 900
    /// One request's time limit.
    public var timeoutSeconds: Double = 30
    /// Send each photo's full frame instead of its fluke crop (a wide link, and a hub whose
    /// `--max-crop-bytes` admits whole photos). Off: the crop, a few tens of kilobytes.
    public var sendFullFrames = false

    public init(url: URL, token: String) {
        self.url = url
        self.token = token
    }
}

extension HubSettings {
    /// nil for an empty `[hub]` (the section the reference config ships, meaning "no hub yet").
    static func read(_ s: inout TableReader) throws(ConfigError) -> HubSettings? {
        if s.table.entries.isEmpty { return nil }
        guard let urlText = try s.string("url") else {
            throw s.error("url", "[hub] needs a url, e.g. url = \"https://hub.example.org\" (or remove the section to work without a hub)")
        }
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw s.error("url", "expected an http:// or https:// URL, got \"\(urlText)\"")
        }
        guard let token = try s.string("token"), !token.isEmpty else {
            throw s.error("token", "[hub] needs the station's token (printed once by `flukewatch-hub station add STATION`)")
        }
        guard token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw s.error("token", "the token has spaces or non-ASCII characters; paste it exactly as the hub printed it")
        }
        var h = HubSettings(url: url, token: token)
        if let v = try s.integer("max_bytes_per_round", in: 4096...1_073_741_824, unit: "bytes") { h.maxBytesPerRound = v }
        if let v = try s.integer("batch_items", in: 1...500, unit: "items") { h.batchItems = v }
        if let v = try s.number("interval_seconds", in: 1...86_400, unit: "seconds") { h.intervalSeconds = v }
        if let v = try s.number("retry_min_seconds") {
            guard v > 0, v <= 3600 else { throw s.error("retry_min_seconds", "expected above 0 and at most 3600 seconds, got \(v)") }
            h.retryMinSeconds = v
        }
        if let v = try s.number("retry_max_seconds") {
            guard v >= h.retryMinSeconds, v <= 86_400 else {
                throw s.error("retry_max_seconds", "expected \(h.retryMinSeconds) (retry_min_seconds) to 86400 seconds, got \(v)")
            }
            h.retryMaxSeconds = v
        }
        if let v = try s.number("timeout_seconds", in: 1...600, unit: "seconds") { h.timeoutSeconds = v }
        if let v = try s.bool("send_full_frames") { h.sendFullFrames = v }
        try s.finish()
        return h
    }
}
