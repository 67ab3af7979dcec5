import Foundation
import Hummingbird
import Synchronization

/// A token bucket per key (a principal, or a client address for requests without a valid
/// token): `burst` requests at once, refilled at `perSecond`. In memory: a restart forgives
/// everyone, which is fine for a limit that protects the hub, not a quota.
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }

    let perSecond: Double
    let burst: Double
    private let buckets = Mutex<[Key: Bucket]>([:])

    init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = Double(burst)
    }

    /// nil when the request may go ahead, else the seconds to wait.
    func take(_ key: Key, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { all in
            var b = all[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - b.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            b.tokens = min(burst, b.tokens + seconds * perSecond)
            b.updated = now
            defer { all[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - b.tokens) / perSecond).rounded(.up)))
        }
    }
}

struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let limiter: RateLimiter<Principal>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let principal = context.principal, let wait = limiter.take(principal) {
            throw APIProblem(.tooManyRequests, "rate-limited",
                             "\(principal) is over \(limiter.perSecond) requests/s (burst \(Int(limiter.burst))); retry after \(wait) s",
                             headers: [.retryAfter: "\(wait)"])
        }
        return try await next(request, context)
    }
}
