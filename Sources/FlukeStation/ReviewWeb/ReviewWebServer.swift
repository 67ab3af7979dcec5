import FlukeStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The review web page as a Service: in the daemon's ServiceGroup when `[review] web_listen` is
/// set (so SIGTERM stops it with the pipeline), or alone under `flukewatch review serve`.
public struct ReviewWebServer: Service {
    private let app: Application<RouterResponder<BasicRequestContext>>
    private let address: ReviewWebAddress
    private let logger: Logger

    /// - Parameter onListening: called with the page's URL once the socket is bound (with the
    ///   real port when `address.port` is 0).
    public init(config: StationConfig, database: StationDatabase, address: ReviewWebAddress, token: String?,
                logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in }) {
        let routes = ReviewRoutes(config: config, database: database, sessions: ReviewSessions(token: token), logger: logger)
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ReviewErrorMiddleware(stationName: config.stationName, logger: logger))
        routes.register(on: router)
        let host = address.host
        self.address = address
        self.logger = logger
        app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: address.port), serverName: "FlukeWatch"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
                logger.notice("review page: \(url)\(token == nil ? " (no password: this machine only)" : "")")
                onListening(url)
            },
            logger: logger)
    }

    public func run() async throws {
        do {
            try await app.run()
        } catch {
            let message = "cannot serve the review page on \(address): \(error); is another program using port \(address.port)? Choose another port with [review] web_listen (or --listen)"
            logger.error("\(message)")
            throw ReviewWebError(description: message)
        }
    }
}

extension ReviewWebServer {
    /// Runs the page alone (`flukewatch review serve`) until SIGTERM or Ctrl-C.
    public func runUntilSignalled(logger: Logger) async throws {
        try await ServiceGroup(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

public struct ReviewWebError: Error, CustomStringConvertible {
    public var description: String
}

/// Every error becomes a page that says what happened and what to do, with the right 4xx.
struct ReviewErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let stationName: String
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let r as Redirect {
            return ReviewHTTP.redirect(r.location)
        } catch let e as ReviewHTTPError {
            return page(e)
        } catch let e as HTTPError where e.status == .notFound {
            return page(ReviewHTTPError(.notFound, "Not found", "There is no page at \(request.uri.path). Sightings are at /sightings/NUMBER; images are only served for sightings and catalog photos the station knows."))
        } catch let e as HTTPError {
            return page(ReviewHTTPError(e.status, e.status.reasonPhrase, e.body ?? "The request was refused."))
        } catch {
            logger.error("review page: \(request.method) \(request.uri.path) failed: \(error)")
            return page(ReviewHTTPError(.internalServerError, "Something went wrong",
                                        "The station could not complete this request (\(error)). Nothing was recorded; try again, and if it persists check `journalctl -u flukewatch`."))
        }
    }

    private func page(_ e: ReviewHTTPError) -> Response {
        let nonce = ReviewHTTP.nonce()
        let body = SimplePages.error(status: Int(e.status.code), title: e.title, message: e.message, back: e.back)
        return ReviewHTTP.html(e.status, ReviewLayout.page(title: e.title, chrome: .init(stationName: stationName), nonce: nonce, body: body),
                               nonce: nonce)
    }
}
