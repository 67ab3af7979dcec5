import FlukeAPI
import Foundation
import Hummingbird

/// An error answer: a status and a `Problem` body that says what went wrong and what to do.
public struct APIProblem: Error, Sendable {
    public var status: HTTPResponse.Status
    public var problem: Problem
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, conflicts: [ItemConflict]? = nil,
                headers: HTTPFields = [:]) {
        self.status = status
        self.problem = Problem(status: status.code, code: code, message: message, conflicts: conflicts)
        self.headers = headers
    }

    func response() -> Response {
        var response = JSONResponse.make(problem, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        // The wire types always encode; a failure here is a programming error worth a 500.
        let data = (try? WireCoding.encode(value)) ?? Data(#"{"status":500,"code":"internal","message":"response encoding failed"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a JSON `Problem`. Errors of the request (bad input, a missing route,
/// a body too large) keep their 4xx status; only a fault of the hub itself is a 500, and it is
/// logged with the request so an operator can find it.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return problem.response()
        } catch let error as StorageError {
            switch error {
            case .notFound(let m): return APIProblem(.notFound, "not-found", m).response()
            case .conflict(let m): return APIProblem(.conflict, "conflict", m).response()
            case .invalid(let m): return APIProblem(.badRequest, "invalid", m).response()
            }
        } catch let error as HTTPResponseError {
            let status = error.status
            let message: String
            switch status {
            case .notFound: message = "no route \(request.method) \(request.uri.path); see openapi/flukewatch-hub.yaml"
            case .contentTooLarge: message = "the body is larger than the hub accepts on this route"
            default: message = (error as? HTTPError)?.body ?? status.reasonPhrase
            }
            let code = status.code < 500 ? status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "-") : "internal"
            return APIProblem(status, code, message).response()
        } catch {
            context.logger.error("internal error on \(request.method) \(request.uri.path): \(error)")
            return APIProblem(.internalServerError, "internal", "the hub failed on this request; its log says why (journalctl -u flukewatch-hub)").response()
        }
    }
}
