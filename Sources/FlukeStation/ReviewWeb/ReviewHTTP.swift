import Foundation
import Hummingbird

/// Small HTTP pieces the review routes share: form bodies, cookies, same-origin checks, pages.
enum ReviewHTTP {
    /// Forms on the page are a few short fields; anything larger is not ours.
    static let maxFormBytes = 16 * 1024

    /// An `application/x-www-form-urlencoded` body as a dictionary (the last value of a repeated key wins).
    static func form(_ request: Request) async throws -> [String: String] {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw ReviewHTTPError(.unsupportedMediaType, "Unsupported form", "Decisions are sent as HTML form posts (application/x-www-form-urlencoded).")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxFormBytes)
        } catch {
            throw ReviewHTTPError(.contentTooLarge, "Form too large", "A review form is a few short fields; this one was over \(maxFormBytes / 1024) KiB.")
        }
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { (String(s).replacingOccurrences(of: "+", with: " ")).removingPercentEncoding ?? "" }
            out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    /// The value of one cookie from the Cookie header.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name {
                    return kv[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// A browser names the page a post came from in Origin; one from another site is refused
    /// even before the CSRF token is looked at (defence in depth). No Origin: not a browser
    /// form from elsewhere (browsers always send it on cross-site posts).
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority,
              let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }

    static func nonce() -> String { String(ReviewSessions.randomToken().prefix(24)) }

    static func html(_ status: HTTPResponse.Status, _ page: HTML, nonce: String, extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in ReviewLayout.headers(nonce: nonce) + extra {
            headers[.init(name)!] = value   // our own constant names
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.raw)))
    }

    static func redirect(_ location: String, extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for (name, value) in extra {
            headers[.init(name)!] = value   // our own constant names
        }
        return Response(status: .seeOther, headers: headers)
    }

    static func image(_ bytes: [UInt8], type: String, placeholder: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = placeholder ? "no-store" : "private, max-age=3600"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        if placeholder { headers[.init("X-FlukeWatch-Placeholder")!] = "1" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A refusal the page explains: status, a title and what to do.
struct ReviewHTTPError: Error {
    var status: HTTPResponse.Status
    var title: String
    var message: String
    var back: String?

    init(_ status: HTTPResponse.Status, _ title: String, _ message: String, back: String? = nil) {
        self.status = status
        self.title = title
        self.message = message
        self.back = back
    }
}
