import FlukeCore
import FlukeStore
import Foundation
import Hummingbird
import Logging

/// The review page's routes. Every page and image needs a session; every POST also needs the
/// session's CSRF token and a same-origin Origin. Decisions go through `ReviewLog`, exactly as
/// the `review` commands do: logged with the reviewer and time, undoable, queued for the hub.
struct ReviewRoutes: Sendable {
    let config: StationConfig
    let database: StationDatabase
    let sessions: ReviewSessions
    let logger: Logger
    let images: ReviewImages
    var queries: StationQueries { StationQueries(database: database) }

    init(config: StationConfig, database: StationDatabase, sessions: ReviewSessions, logger: Logger) {
        self.config = config
        self.database = database
        self.sessions = sessions
        self.logger = logger
        images = ReviewImages(config: config, database: database)
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/login") { request, _ in try loginPage(request) }
        router.post("/login") { request, _ in try await login(request) }
        router.post("/logout") { request, _ in
            let (session, _) = try await authorizedPost(request)
            sessions.logout(id: session.id)
            return ReviewHTTP.redirect("/login", extra: [("Set-Cookie", "\(ReviewSessions.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")])
        }
        router.get("/") { request, _ in try queuePage(request) }
        router.get("/sightings/:id") { request, context in try sightingPage(request, id: try sightingID(context)) }
        for action in ["confirm", "new", "reject", "undo"] {
            router.post("/sightings/:id/\(action)") { request, context in try await decide(request, id: try sightingID(context), action: action) }
        }
        for action in ["confirm", "new", "undo"] {
            router.post("/encounters/:id/\(action)") { request, context in
                try await decideEncounter(request, id: try encounterID(context), action: action)
            }
        }
        router.get("/catalog") { request, _ in try catalogPage(request) }
        router.get("/images/sighting/:id") { request, context in
            _ = try imageSession(request)
            guard let bytes = try images.sightingThumbnail(try sightingID(context)) else { return placeholder() }
            return ReviewHTTP.image(bytes, type: "image/jpeg")
        }
        router.get("/images/catalog/:id") { request, context in
            _ = try imageSession(request)
            guard let id = context.parameters.get("id", as: Int64.self) else { throw notFound(request) }
            guard let bytes = try await images.catalogThumbnail(id) else { return placeholder() }
            return ReviewHTTP.image(bytes, type: "image/jpeg")
        }
        router.get("/images/sighting/:id/crop") { request, context in
            _ = try imageSession(request)
            guard let bytes = try await images.sightingCrop(try sightingID(context)) else { return placeholder() }
            return ReviewHTTP.image(bytes, type: "image/jpeg")
        }
        router.get("/images/catalog/:id/crop") { request, context in
            _ = try imageSession(request)
            guard let id = context.parameters.get("id", as: Int64.self) else { throw notFound(request) }
            guard let bytes = try await images.catalogCrop(id) else { return placeholder() }
            return ReviewHTTP.image(bytes, type: "image/jpeg")
        }
        router.get("/images/placeholder") { request, _ in
            _ = try imageSession(request)
            return placeholder()
        }
    }

    // MARK: - Sessions

    private func session(_ request: Request) -> ReviewSessions.Session? {
        sessions.session(id: ReviewHTTP.cookie(ReviewSessions.cookieName, in: request))
    }

    /// A page without a session sends the browser to the login form.
    private func pageSession(_ request: Request) throws -> ReviewSessions.Session {
        guard let s = session(request) else { throw Redirect(location: "/login") }
        return s
    }

    private func imageSession(_ request: Request) throws -> ReviewSessions.Session {
        guard let s = session(request) else {
            throw ReviewHTTPError(.unauthorized, "Log in first", "Photos are shown to logged-in reviewers only: log in at /login first.")
        }
        return s
    }

    /// A POST from a logged-in reviewer, from one of our own pages: returns the session and the form.
    private func authorizedPost(_ request: Request) async throws -> (ReviewSessions.Session, [String: String]) {
        guard ReviewHTTP.isSameOrigin(request) else {
            throw ReviewHTTPError(.forbidden, "Refused: another site", "This form was sent from another web site (Origin \(request.headers[.origin] ?? "")); decisions are only taken from the review page itself.")
        }
        guard let s = session(request) else {
            throw ReviewHTTPError(.unauthorized, "Log in first", "Your session has ended (the station restarted, or you logged out). Log in again; nothing was recorded.")
        }
        let form = try await ReviewHTTP.form(request)
        guard let csrf = form["csrf"], ReviewSessions.constantTimeEqual(csrf, s.csrf) else {
            throw ReviewHTTPError(.forbidden, "Form expired", "This form does not carry your session's token (it is from an older page or another site). Reload the page and decide again; nothing was recorded.")
        }
        return (s, form)
    }

    private func loginPage(_ request: Request) throws -> Response {
        if session(request) != nil { return ReviewHTTP.redirect("/") }
        return render(.ok, "Log in", nil, SimplePages.login(reviewer: config.review.reviewer, needsToken: sessions.requiresToken, message: nil))
    }

    private func login(_ request: Request) async throws -> Response {
        guard ReviewHTTP.isSameOrigin(request) else {
            throw ReviewHTTPError(.forbidden, "Refused: another site", "Log in from the review page itself.")
        }
        let form = try await ReviewHTTP.form(request)
        let reviewer = (form["reviewer"] ?? "").trimmingCharacters(in: .whitespaces)
        func again(_ status: HTTPResponse.Status, _ message: String) -> Response {
            render(status, "Log in", nil, SimplePages.login(reviewer: reviewer.isEmpty ? config.review.reviewer : reviewer,
                                                          needsToken: sessions.requiresToken, message: message))
        }
        guard !reviewer.isEmpty, reviewer.count <= 64 else { return again(.badRequest, "Give your name (up to 64 characters): every decision records who took it.") }
        guard reviewer != Reviewer.automatic else { return again(.badRequest, "\"\(reviewer)\" is reserved for automatic confirmations; give your own name.") }
        guard let s = sessions.login(reviewer: reviewer, token: form["token"] ?? "") else {
            logger.warning("review page: wrong password for \"\(reviewer)\"")
            return again(.unauthorized, "Wrong station password. It is [review] web_token in the station's config; ask whoever runs the station.")
        }
        logger.notice("review page: \(reviewer) logged in")
        return ReviewHTTP.redirect("/", extra: [("Set-Cookie", "\(ReviewSessions.cookieName)=\(s.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(ReviewSessions.lifetime))")])
    }

    // MARK: - Pages

    private func render(_ status: HTTPResponse.Status, _ title: String, _ s: ReviewSessions.Session?, _ body: HTML,
                        open: Int? = nil, section: String = "queue", script: HTML = "") -> Response {
        let nonce = ReviewHTTP.nonce()
        let chrome = ReviewLayout.Chrome(stationName: config.stationName, reviewer: s?.reviewer, csrf: s?.csrf, openCount: open, section: section)
        return ReviewHTTP.html(status, ReviewLayout.page(title: title, chrome: chrome, nonce: nonce, body: body, script: script), nonce: nonce)
    }

    private func queuePage(_ request: Request) throws -> Response {
        let s = try pageSession(request)
        let view = try ReviewQueueView(queries: queries)
        if let first = view.openOrder.first {
            let query = request.uri.query.map { "?\($0)" } ?? ""
            return ReviewHTTP.redirect("/sightings/\(first)" + query)
        }
        let flash = try self.flash(request, view: view)
        return render(.ok, "Queue", s, SimplePages.emptyQueue(flash: flash?.text, undoTarget: flash?.undoTarget, csrf: s.csrf),
                      open: 0, script: SimplePages.undoScript)
    }

    private func sightingPage(_ request: Request, id: Int64) throws -> Response {
        let s = try pageSession(request)
        let view = try ReviewQueueView(queries: queries)
        guard let item = view.item(id), let group = view.group(of: id) else {
            throw ReviewHTTPError(.notFound, "No such sighting", "There is no sighting #\(id) on this station.")
        }
        let flash = try self.flash(request, view: view)
        let l = item.listing
        let summaries = try queries.individualSummaries(l.candidates.map(\.individual))
        let candidates = l.candidates.prefix(5).enumerated().map { n, c -> SightingPage.Candidate in
            let summary = summaries[c.individual]
            var photos = (summary?.photos ?? []).map { "/images/catalog/\($0.id)/crop" }
            if photos.isEmpty { photos = (summary?.sightings ?? []).prefix(6).map { "/images/sighting/\($0.sightingID)/crop" } }
            return .init(rank: n + 1, individual: c.individual, name: c.name, score: c.score, photos: photos,
                         photoCount: summary?.photoCount ?? 0, sightingCount: summary?.sightings.count ?? 0,
                         lastSeen: summary?.sightings.first?.capturedAt)
        }
        var decided: String?
        if !item.isOpen {
            decided = l.reviewState == "rejected"
                ? "Rejected (\(l.rejectReason ?? "no reason"))"
                : "Confirmed as \(ReviewFormat.individual(l.individual, l.individualName))"
            if let by = l.reviewedBy { decided! += by == Reviewer.automatic ? " automatically" : " by \(by)" }
        }
        let page = SightingPage(
            item: item, group: group, openIndex: view.openOrder.firstIndex(of: id), openTotal: view.openOrder.count,
            next: view.next(after: id), previous: view.previous(before: id), candidates: Array(candidates),
            flash: flash.map { .init(text: $0.text, undone: $0.undoTarget == nil) },
            undoTarget: item.isOpen ? flash?.undoTarget : .sighting(id), choices: try queries.individualChoices(), csrf: s.csrf,
            decidedSummary: decided, thresholds: try thresholds(model: l.modelVersion))
        return render(.ok, "Sighting #\(id)", s, page.body(), open: view.openOrder.count, script: SightingPage.script)
    }

    private func catalogPage(_ request: Request) throws -> Response {
        let s = try pageSession(request)
        let search = String((request.uri.queryParameters.get("q") ?? "").prefix(64)).trimmingCharacters(in: .whitespaces)
        let (individuals, total) = try queries.catalogIndividuals(search: search, limit: CatalogPage.pageSize)
        let open = try queries.reviewQueue().count
        return render(.ok, "Catalog", s, CatalogPage(search: search, individuals: individuals, total: total).body(),
                      open: open, section: "catalog")
    }

    /// The thresholds identification used: the operator's overrides, else the catalog's calibration.
    private func thresholds(model: String?) throws -> (new: Double, match: Double)? {
        let fitted = try model.flatMap { try CatalogStore(database: database).fittedModel(version: $0, includingProjection: false) }
        guard let new = config.thresholdNew ?? fitted?.thresholdNew, let match = config.thresholdMatch ?? fitted?.thresholdMatch else { return nil }
        return (new, match)
    }

    /// The banner after a decision (`?last=SIGHTING` or `?encounter=ENCOUNTER`) and what Undo
    /// would revert (nil when the decision was itself an undo, or nothing is in force).
    private func flash(_ request: Request, view: ReviewQueueView) throws -> (text: String, undoTarget: UndoTarget?)? {
        let parameters = request.uri.queryParameters
        if let encounter = parameters.get("encounter", as: Int64.self) {
            return try flash(encounter: encounter, view: view, undone: parameters.get("undone") != nil)
        }
        guard let sighting = parameters.get("last", as: Int64.self),
              let record = try? ReviewLog(database: database).history("\(sighting)").last else { return nil }
        let text = ReviewFormat.decision(record, names: try CatalogStore(database: database).names())
        return (text, record.action == .undo ? nil : .sighting(sighting))
    }

    /// Where an encounter's photos stand now, e.g. "Encounter #3: 4 confirmed as HW-1 (Salt), 1 rejected".
    private func flash(encounter: Int64, view: ReviewQueueView, undone: Bool) throws -> (text: String, undoTarget: UndoTarget?)? {
        let items = view.items(ofEncounter: encounter)
        guard !items.isEmpty else { return nil }
        var counts: [(String, Int)] = []
        for item in items {
            let l = item.listing
            let what = l.reviewState == "confirmed" ? "confirmed as \(ReviewFormat.individual(l.individual, l.individualName))" : l.reviewState
            if let i = counts.firstIndex(where: { $0.0 == what }) { counts[i].1 += 1 } else { counts.append((what, 1)) }
        }
        let summary = counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        return ("Encounter #\(encounter)\(undone ? " reopened" : ""): \(summary).", undone ? nil : .encounter(encounter))
    }

    // MARK: - Decisions

    private func decide(_ request: Request, id: Int64, action: String) async throws -> Response {
        let (s, form) = try await authorizedPost(request)
        let next = try ReviewQueueView(queries: queries).next(after: id)
        let log = ReviewLog(database: database)
        let record: ReviewDecisionRecord
        do {
            if let verdict = verdict(action, form) {
                record = try log.decide("\(id)", verdict, reviewer: s.reviewer)
            } else {
                record = try log.undo("\(id)", reviewer: s.reviewer)
            }
        } catch let e as ReviewError {
            throw ReviewHTTPError(Self.status(for: e), "Not recorded", Self.explain(e), back: "/sightings/\(id)")
        }
        logger.info("review page: \(ReviewFormat.decision(record, names: [:]))")
        if record.action == .undo { return ReviewHTTP.redirect("/sightings/\(id)?last=\(id)") }
        return ReviewHTTP.redirect(next.map { "/sightings/\($0)?last=\(id)" } ?? "/?last=\(id)")
    }

    /// One decision for every open photo of an encounter (or an undo of each photo's latest).
    private func decideEncounter(_ request: Request, id: Int64, action: String) async throws -> Response {
        let (s, form) = try await authorizedPost(request)
        let log = ReviewLog(database: database)
        let result: EncounterReviewResult
        do {
            if let verdict = verdict(action, form) {
                result = try log.decideEncounter(id, verdict, reviewer: s.reviewer)
            } else {
                result = try log.undoEncounter(id, reviewer: s.reviewer)
            }
        } catch let e as ReviewError {
            throw ReviewHTTPError(Self.status(for: e), "Not recorded", Self.explain(e), back: "/")
        }
        logger.info("review page: encounter #\(id): \(result.records.count) photos \(action == "undo" ? "reopened" : "decided") by \(s.reviewer)")
        let query = action == "undo" ? "?encounter=\(id)&undone=1" : "?encounter=\(id)"
        if action == "undo", let first = result.records.first { return ReviewHTTP.redirect("/sightings/\(first.sightingID)\(query)") }
        let next = try ReviewQueueView(queries: queries).openOrder.first
        return ReviewHTTP.redirect(next.map { "/sightings/\($0)\(query)" } ?? "/\(query)")
    }

    /// The decision a form posts to `…/confirm`, `…/new` or `…/reject`; nil for `…/undo`.
    private func verdict(_ action: String, _ form: [String: String]) -> ReviewLog.Verdict? {
        func field(_ name: String) -> String? {
            let text = (form[name] ?? "").trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
        switch action {
        case "confirm": return .confirm(individual: field("individual"))
        case "new": return .newIndividual(name: field("name"), idPrefix: config.provisionalIndividualPrefix)
        case "reject": return .reject(reason: form["reason"] ?? "")
        default: return nil
        }
    }

    static func status(for e: ReviewError) -> HTTPResponse.Status {
        switch e {
        case .unknownSighting, .unknownEncounter: .notFound
        case .alreadyDecided, .nothingToUndo, .nameTaken, .encounterHasNothingOpen, .encounterHasNothingToUndo: .conflict
        default: .badRequest
        }
    }

    /// ReviewError speaks to the command line; on the page the way out is a button.
    static func explain(_ e: ReviewError) -> String {
        switch e {
        case .alreadyDecided(let sighting, _, _, _, _):
            let what = e.description.components(separatedBy: "; to change it").first ?? e.description
            return "\(what). To change it, open sighting #\(sighting) and press Undo, then decide again."
        case .unknownIndividual(let text, _):
            return "No individual with the id or name \"\(text)\" in the station's catalog. Check the spelling, or use New individual if this whale is not in the catalog."
        case .nameTaken(let name, let other):
            return "The name \"\(name)\" already belongs to \(other). Choose another name, or assign the sighting to \(other)."
        case .noCandidate:
            return "This sighting has no candidate to confirm. Type an individual's id or name under Assign, or use New individual."
        case .nothingToUndo(let sighting):
            return "Sighting #\(sighting) has no decision to undo: it is open and waiting for review."
        case .encounterHasNothingOpen(let encounter):
            return "Every photo of encounter #\(encounter) is already decided. Open one of its photos and press Undo to change it."
        case .noEncounterCandidate(let encounter):
            return "The station has no candidate for encounter #\(encounter). Decide its photos one by one, or mark them all as one new individual."
        default:
            return e.description
        }
    }

    // MARK: - Small helpers

    private func sightingID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else {
            throw ReviewHTTPError(.notFound, "No such sighting", "Sightings are numbered: /sightings/12.")
        }
        return id
    }

    private func encounterID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else {
            throw ReviewHTTPError(.notFound, "No such encounter", "Encounters are numbered: /encounters/3.")
        }
        return id
    }

    private func notFound(_ request: Request) -> ReviewHTTPError {
        ReviewHTTPError(.notFound, "Not found", "There is no image at \(request.uri.path).")
    }

    private func placeholder() -> Response { ReviewHTTP.image(ReviewImages.placeholder, type: "image/svg+xml", placeholder: true) }
}

/// Thrown by a page that needs a session; the error middleware turns it into a 303.
struct Redirect: Error {
    var location: String
}
