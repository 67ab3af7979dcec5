import Foundation
import XCTest

/// A plain HTTP/1.1 client over a socket: sends the request line exactly as written (no URL
/// normalisation, so `..` and `%2F` reach the server as an attacker would send them).
struct RawHTTP {
    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        /// `fw_review=…` from Set-Cookie, ready for a Cookie header.
        var cookie: String? { header("Set-Cookie")?.split(separator: ";").first.map(String.init) }
    }

    let port: Int

    init(url: String) throws {
        guard let port = URL(string: url)?.port else { throw NSError(domain: "RawHTTP", code: 1) }
        self.port = port
    }

    func get(_ path: String, cookie: String? = nil) throws -> Reply {
        try send("GET", path, cookie: cookie, body: nil)
    }

    func post(_ path: String, form: [(String, String)], cookie: String? = nil, origin: String? = nil) throws -> Reply {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._*"))
        let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try send("POST", path, cookie: cookie, body: body, origin: origin)
    }

    func send(_ method: String, _ path: String, cookie: String?, body: String?, origin: String? = nil) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "RawHTTP", code: 2) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw NSError(domain: "RawHTTP", code: 3, userInfo: [NSLocalizedDescriptionKey: "connect failed"]) }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let cookie { request += "Cookie: \(cookie)\r\n" }
        if let origin { request += "Origin: \(origin)\r\n" }
        if let body {
            request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            request += "\r\n"
        }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw NSError(domain: "RawHTTP", code: 4) }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return try Self.parse(response)
    }

    static func parse(_ response: [UInt8]) throws -> Reply {
        guard let end = response.indices.first(where: { i in i + 3 < response.count && response[i..<i + 4] == [13, 10, 13, 10] }) else {
            throw NSError(domain: "RawHTTP", code: 5, userInfo: [NSLocalizedDescriptionKey: "no header end in \(response.count) bytes"])
        }
        let head = String(decoding: response[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(response[(end + 4)...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }) {
            body = dechunk(body)
        }
        return Reply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < data.count {
            guard let lineEnd = (i..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }),
                  let size = Int(String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16), size > 0
            else { break }
            out += data[(lineEnd + 2)..<min(data.count, lineEnd + 2 + size)]
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// `flukewatch review serve` as a child process, stopped with SIGTERM at the end.
final class ReviewServer {
    let process = Process()
    let url: String
    private let output = Pipe()

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: FlukeWatchBinary.path)
        process.arguments = ["review", "serve", "--listen", "127.0.0.1:0"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["FLUKEWATCH_CONFIG"] = nil
        process.environment = env
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // The first line is `review page: http://127.0.0.1:PORT/` once the socket is bound.
        var line = [UInt8]()
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("review page: ") else {
            process.terminate()
            throw NSError(domain: "ReviewServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "review serve did not start: \(text)"])
        }
        url = String(text.dropFirst("review page: ".count))
    }

    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
