import FlukeAPI
import Hummingbird

/// Finds the caller from `Authorization: Bearer <token>`. Only /v1/health is open; every
/// other route, including unknown ones, needs a live token (so the API's shape is not
/// discoverable without one). Requests without a valid token are counted per client address
/// (`AnonymousLimit`); past that limit they get 429 instead of 401.
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let storage: any HubStorage
    let anonymous: AnonymousLimit

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == HubPath.health {
            try anonymous.charge(request, context)
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            try anonymous.charge(request, context)
            throw APIProblem(.unauthorized, "unauthorized", "missing Authorization: Bearer <token>; a station's token is in its [hub] token setting",
                             headers: [.wwwAuthenticate: "Bearer"])
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            try anonymous.charge(request, context)
            throw APIProblem(.unauthorized, "unauthorized", "expected Authorization: Bearer <token>",
                             headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let principal = try await storage.principal(tokenSHA256: Tokens.sha256Hex(String(parts[1]))) else {
            try anonymous.charge(request, context)
            throw APIProblem(.unauthorized, "invalid-token",
                             "the token is unknown or revoked; ask the hub's operator for a new one (`flukewatch-hub station add NAME`)",
                             headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
