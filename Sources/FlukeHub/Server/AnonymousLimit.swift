import Hummingbird

/// The rate limit for requests that carry no valid token, per client address. Tokens have 256
/// random bits, so this is not about guessing them: it keeps a flood of junk (or a fleet of
/// misconfigured stations) from costing a token lookup each and crowding out the real stations.
struct AnonymousLimit: Sendable {
    let limiter: RateLimiter<String>
    let trustForwardedFor: Bool

    init(_ limits: HubLimits) {
        limiter = RateLimiter(perSecond: limits.anonymousPerSecond, burst: limits.anonymousBurst)
        trustForwardedFor = limits.trustForwardedFor
    }

    /// Counts one request without a valid token; throws 429 when its address is over the limit.
    func charge(_ request: Request, _ context: HubRequestContext) throws(APIProblem) {
        let address = clientAddress(request, context)
        guard let wait = limiter.take(address) else { return }
        throw APIProblem(.tooManyRequests, "rate-limited",
                         "\(address) is over \(limiter.perSecond) requests/s without a valid token (burst \(Int(limiter.burst))); retry after \(wait) s, with the station's token",
                         headers: [.retryAfter: "\(wait)"])
    }

    func clientAddress(_ request: Request, _ context: HubRequestContext) -> String {
        let peer = context.peerAddress ?? "unknown"
        // Only a proxy on this machine may say who its client was; anyone else could forge it.
        guard trustForwardedFor, peer == "127.0.0.1" || peer == "::1",
              let forwarded = request.headers.first(where: { $0.name.canonicalName == "x-forwarded-for" })?.value.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
              !forwarded.isEmpty else { return peer }
        return forwarded
    }
}
