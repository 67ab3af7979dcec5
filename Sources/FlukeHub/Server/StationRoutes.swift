import FlukeAPI
import Foundation
import Hummingbird

/// What stations call: batches, crops, and the catalog's changes.
struct StationRoutes {
    let storage: any HubStorage
    let limits: HubLimits

    func add(to router: Router<HubRequestContext>) {
        router.post("/v1/stations/:station/batches") { request, context in try await submit(request, context) }
        router.head("/v1/crops/:sha256") { _, context in try await cropExists(context) }
        router.put("/v1/crops/:sha256") { request, context in try await uploadCrop(request, context) }
        router.get("/v1/crops/:sha256") { _, context in try await downloadCrop(context) }
        router.get(RouterPath(HubPath.changes)) { request, context in try await changes(request, context) }
    }

    func submit(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let station = try context.parameters.require("station")
        _ = try context.requireStation(station)
        let batch = try await RequestBody.json(Batch.self, request, limit: limits.maxBatchBytes)
        switch try await storage.submit(batch, station: station) {
        case .stored(let result):
            let accepted = result.results.filter { $0.status == .accepted }.count
            context.logger.info("station \(station): batch of \(batch.items.count) item(s), \(accepted) new")
            return JSONResponse.make(result)
        case .conflicts(let conflicts):
            context.logger.warning("station \(station): batch refused, \(conflicts.count) item id(s) held with other content")
            let list = conflicts.prefix(5).map { "\($0.itemID) (\($0.fields.joined(separator: ", ")))" }.joined(separator: "; ")
            throw APIProblem(.conflict, "item-conflict",
                             "nothing was stored: \(conflicts.count) item id(s) are held with different content: \(list). An item id must never be reused for other content; set those items aside and resend the rest",
                             conflicts: conflicts)
        }
    }

    func sha(_ context: HubRequestContext) throws -> String {
        let sha = try context.parameters.require("sha256")
        guard sha.wholeMatch(of: /[0-9a-f]{64}/) != nil else {
            throw APIProblem(.badRequest, "invalid-parameter", "the path must end in a SHA-256 in lowercase hex (64 characters), got \"\(sha.prefix(80))\"")
        }
        return sha
    }

    func cropExists(_ context: HubRequestContext) async throws -> Response {
        let sha = try sha(context)
        _ = try context.requirePrincipal()
        return Response(status: try await storage.hasCrop(sha256: sha) ? .ok : .notFound)
    }

    func uploadCrop(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let sha = try sha(context)
        let p = try context.requirePrincipal()
        try RequestBody.require(request, mediaType: "image/jpeg")
        let bytes = try await RequestBody.collect(request, limit: limits.maxCropBytes)
        guard bytes.starts(with: [0xFF, 0xD8, 0xFF]) else {
            throw APIProblem(.badRequest, "not-a-jpeg", "a crop must be a JPEG (it starts with FF D8 FF); \(bytes.count) bytes of something else were sent")
        }
        let actual = Tokens.sha256Hex(bytes)
        guard actual == sha else {
            throw APIProblem(.unprocessableContent, "digest-mismatch",
                             "the body's SHA-256 is \(actual), not \(sha) as the path says (damaged on the way?); send it again")
        }
        let created = try await storage.putCrop(sha256: sha, bytes: bytes, uploadedBy: p.name)
        return JSONResponse.make(CropStored(sha256: sha, bytes: bytes.count), status: created ? .created : .ok)
    }

    func downloadCrop(_ context: HubRequestContext) async throws -> Response {
        let sha = try sha(context)
        _ = try context.requirePrincipal()
        guard let bytes = try await storage.crop(sha256: sha) else {
            throw APIProblem(.notFound, "not-found", "no crop \(sha) on the hub")
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func changes(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        _ = try context.requirePrincipal()
        let after = try RequestBody.query(request, "after", default: 0, range: 0...Int64.max)
        let limit = try RequestBody.query(request, "limit", default: 200, range: 1...1000)
        return JSONResponse.make(try await storage.changes(after: after, limit: Int(limit)))
    }
}
