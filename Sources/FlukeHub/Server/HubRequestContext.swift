import Hummingbird

/// The request context of the hub: who is calling, once the token has been checked.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `TokenAuthMiddleware`; nil only on routes that need no token.
    public var principal: Principal?
    /// The peer's IP address (nil for a Unix socket): what requests without a token are limited by.
    public var peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The caller, who must be a station writing as `station`.
    func requireStation(_ station: String) throws(APIProblem) -> Principal {
        let p = try requirePrincipal()
        guard p.role == .station else {
            throw APIProblem(.forbidden, "forbidden", "this route is for station tokens; \(p) cannot submit station data")
        }
        guard p.name == station else {
            throw APIProblem(.forbidden, "wrong-station", "the token belongs to station \(p.name), not \(station); a station can write only as itself")
        }
        return p
    }

    func requireCurator() throws(APIProblem) -> Principal {
        let p = try requirePrincipal()
        guard p.role == .curator else {
            throw APIProblem(.forbidden, "curator-only", "this route needs a curator token (`flukewatch-hub curator add NAME`); \(p) may not use it")
        }
        return p
    }

    func requirePrincipal() throws(APIProblem) -> Principal {
        guard let principal else { throw APIProblem(.unauthorized, "unauthorized", "no valid token") }
        return principal
    }
}
