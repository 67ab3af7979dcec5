import FlukeAPI
import Foundation
import Hummingbird

/// What curators call: candidates, groups of look-alikes, and the actions that make the catalog.
struct CuratorRoutes {
    let storage: any HubStorage
    let limits: HubLimits

    func add(to router: Router<HubRequestContext>) {
        router.get(RouterPath(HubPath.candidates)) { request, context in
            _ = try context.requireCurator()
            var status: CandidateStatus?
            if let text = request.uri.queryParameters.get("status") {
                guard let s = CandidateStatus(rawValue: String(text)) else {
                    throw APIProblem(.badRequest, "invalid-parameter",
                                     "status must be one of \(CandidateStatus.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text.prefix(40))\"")
                }
                status = s
            }
            let after = try RequestBody.query(request, "after", default: 0, range: 0...Int64.max)
            let limit = try RequestBody.query(request, "limit", default: 200, range: 1...1000)
            return JSONResponse.make(try await storage.candidates(status: status, after: after, limit: Int(limit)))
        }
        router.get(RouterPath(HubPath.candidateGroups)) { request, context in
            _ = try context.requireCurator()
            var threshold = 0.8
            if let text = request.uri.queryParameters.get("min_similarity") {
                guard let v = Double(String(text)), (-1...1).contains(v) else {
                    throw APIProblem(.badRequest, "invalid-parameter", "min_similarity must be a number from -1 to 1, got \"\(text.prefix(40))\"")
                }
                threshold = v
            }
            return JSONResponse.make(try await storage.candidateGroups(minSimilarity: threshold))
        }
        action(router, HubPath.promote, PromoteRequest.self) { try await storage.promote($0, curator: $1) }
        action(router, HubPath.mergeCandidate, MergeCandidateRequest.self) { try await storage.mergeCandidate($0, curator: $1) }
        action(router, HubPath.mergeIndividuals, MergeIndividualsRequest.self) { try await storage.mergeIndividuals($0, curator: $1) }
        action(router, HubPath.reject, RejectRequest.self) { try await storage.reject($0, curator: $1) }
    }

    private func action<T: Codable & Sendable>(_ router: Router<HubRequestContext>, _ path: String, _ type: T.Type,
                                               _ perform: @escaping @Sendable (T, String) async throws -> CuratorResult) {
        let limit = limits.maxCuratorBytes
        router.post(RouterPath(path)) { request, context in
            let curator = try context.requireCurator()
            let body = try await RequestBody.json(T.self, request, limit: limit)
            let result = try await perform(body, curator.name)
            context.logger.notice("curator \(curator.name): \(path) → \(result.individualID ?? "-"), \(result.changes.count) change(s)")
            return JSONResponse.make(result)
        }
    }
}
