import FlukeAPI
import Hummingbird
import Logging
import NIOCore

/// Wires the hub in one place: storage, limits, middleware and routes.
public struct HubServer: Sendable {
    public static let version = "1.0.0"

    public let storage: any HubStorage
    public let limits: HubLimits

    public init(storage: any HubStorage, limits: HubLimits = HubLimits()) {
        self.storage = storage
        self.limits = limits
    }

    public func router() -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        // Outermost first: every error becomes a Problem, then the token, then the rate limit.
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: TokenAuthMiddleware(storage: storage, anonymous: AnonymousLimit(limits)))
        router.add(middleware: RateLimitMiddleware(limiter: RateLimiter(perSecond: limits.requestsPerSecond, burst: limits.burst)))
        router.get(RouterPath(HubPath.health)) { _, _ in JSONResponse.make(Health(version: Self.version)) }
        StationRoutes(storage: storage, limits: limits).add(to: router)
        CuratorRoutes(storage: storage, limits: limits).add(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT. `onListening` gets the bound port (useful with port 0).
    public func run(host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "flukewatch-hub"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }
}
