import AsyncHTTPClient
import FlukeAPI
import Foundation
import NIOCore
import NIOHTTP1

/// The station's HTTP client for the hub protocol (openapi/flukewatch-hub.yaml).
public final class HubClient: Sendable {
    let http: HTTPClient
    let base: String
    let token: String
    let timeout: TimeAmount

    public init(settings: HubSettings) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(settings.timeoutSeconds)))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var text = settings.url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        base = text
        token = settings.token
        timeout = .seconds(Int64(settings.timeoutSeconds))
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Sends stored item bodies byte for byte as one batch.
    public func submit(station: String, items: [Data]) async throws(HubError) -> BatchResult {
        var body = Data(#"{"items":["#.utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(item)
        }
        body.append(contentsOf: Array("]}".utf8))
        let (status, data) = try await send(.POST, HubPath.batches(station: station), body: body, contentType: "application/json")
        guard status == 200 else { throw HubError.refused(status: status, problem: Self.problem(data)) }
        return try decode(BatchResult.self, data)
    }

    public func cropExists(_ sha256: String) async throws(HubError) -> Bool {
        let (status, data) = try await send(.HEAD, HubPath.crop(sha256))
        switch status {
        case 200: return true
        case 404: return false
        default: throw HubError.refused(status: status, problem: Self.problem(data))
        }
    }

    /// A crop the hub holds (nil: it has none with that sha256). The caller checks the hash.
    public func downloadCrop(_ sha256: String) async throws(HubError) -> Data? {
        let (status, data) = try await send(.GET, HubPath.crop(sha256))
        switch status {
        case 200: return data
        case 404: return nil
        default: throw HubError.refused(status: status, problem: Self.problem(data))
        }
    }

    public func uploadCrop(_ sha256: String, bytes: Data) async throws(HubError) {
        let (status, data) = try await send(.PUT, HubPath.crop(sha256), body: bytes, contentType: "image/jpeg")
        guard status == 200 || status == 201 else { throw HubError.refused(status: status, problem: Self.problem(data)) }
    }

    public func changes(after cursor: Int64, limit: Int) async throws(HubError) -> ChangePage {
        let (status, data) = try await send(.GET, "\(HubPath.changes)?after=\(cursor)&limit=\(limit)")
        guard status == 200 else { throw HubError.refused(status: status, problem: Self.problem(data)) }
        return try decode(ChangePage.self, data)
    }

    private func decode<T: Codable>(_ type: T.Type, _ data: Data) throws(HubError) -> T {
        do {
            return try WireCoding.decodeStrictly(T.self, from: data)
        } catch {
            throw HubError.protocolMismatch("the hub's answer is not a \(T.self): \(error.message)")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data? = nil,
                      contentType: String? = nil) async throws(HubError) -> (Int, Data) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "flukewatch-station")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return (Int(response.status.code), Data(buffer.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            // Said in the operator's terms: a link that stalls is not a refusal, and the setting is named.
            throw HubError.unreachable("\(method) \(base)\(path): no answer within \(timeout.nanoseconds / 1_000_000_000) s ([hub] timeout_seconds)")
        } catch {
            throw HubError.unreachable("\(method) \(base)\(path): \(error)")
        }
    }

    static func problem(_ data: Data) -> Problem? { try? JSONDecoder().decode(Problem.self, from: data) }
}

/// Why a call to the hub did not succeed, and whether trying again later can help.
public enum HubError: Error, Sendable, CustomStringConvertible {
    /// No answer (no link, DNS, refused, timed out, cut mid-answer): retry with backoff.
    case unreachable(String)
    /// The hub answered with an error status.
    case refused(status: Int, problem: Problem?)
    /// The hub answered something this station does not understand (a version mismatch).
    case protocolMismatch(String)

    /// Server trouble and rate limits pass; bad requests and bad tokens do not fix themselves,
    /// but the round still backs off and retries so a fixed token or hub is picked up.
    public var isTransient: Bool {
        switch self {
        case .unreachable: true
        case .refused(let status, _): status >= 500 || status == 429 || status == 408
        case .protocolMismatch: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let why):
            "the hub is unreachable (\(why)); the outbox keeps everything and sync retries with backoff"
        case .refused(let status, let problem):
            switch status {
            case 401: "the hub refused the station's token (401: \(problem?.message ?? "no detail")); check [hub] token against `flukewatch-hub station add`"
            case 403: "the hub forbids this (403: \(problem?.message ?? "no detail")); check [station] id matches the name the token was issued to"
            default: "the hub answered \(status)\(problem.map { " \($0.code): \($0.message)" } ?? "")"
            }
        case .protocolMismatch(let why):
            "\(why); the station and the hub may run different protocol versions"
        }
    }
}
