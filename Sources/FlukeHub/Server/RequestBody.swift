import FlukeAPI
import Foundation
import Hummingbird
import NIOCore

/// Reading bodies with the checks every route needs: media type, size and strict JSON.
enum RequestBody {
    static func require(_ request: Request, mediaType: String) throws(APIProblem) {
        let given = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard given == mediaType else {
            throw APIProblem(.unsupportedMediaType, "unsupported-media-type",
                             "expected Content-Type: \(mediaType), got \(given.map { "\"\($0)\"" } ?? "none")")
        }
    }

    /// The body, refused with 413 past `limit` bytes (from Content-Length before reading, or while reading).
    static func collect(_ request: Request, limit: Int) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(length, limit)
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw tooLarge(nil, limit)
        }
    }

    static func json<T: Codable>(_ type: T.Type, _ request: Request, limit: Int) async throws -> T {
        try require(request, mediaType: "application/json")
        let data = try await collect(request, limit: limit)
        do {
            return try WireCoding.decodeStrictly(T.self, from: data)
        } catch {
            throw APIProblem(.badRequest, error.code, error.message)
        }
    }

    static func tooLarge(_ size: Int?, _ limit: Int) -> APIProblem {
        APIProblem(.contentTooLarge, "too-large",
                   "the body\(size.map { " (\($0) bytes)" } ?? "") is over this route's limit of \(limit) bytes; send smaller batches (the station's [hub] max_bytes_per_round)")
    }

    /// An integer query parameter in a range, or its default; 400 for anything else.
    static func query(_ request: Request, _ name: String, default value: Int64, range: ClosedRange<Int64>) throws(APIProblem) -> Int64 {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let n = Int64(text), range.contains(n) else {
            throw APIProblem(.badRequest, "invalid-parameter", "query parameter \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text.prefix(40))\"")
        }
        return n
    }
}
