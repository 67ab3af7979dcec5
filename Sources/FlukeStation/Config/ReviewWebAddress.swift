import Foundation

/// Where the review web page listens: `127.0.0.1:8088`, `[::1]:8088`, `0.0.0.0:8088`,
/// `192.168.1.10:8088`. Parsed here so the config loader and `review serve --listen` agree.
public struct ReviewWebAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (IPv6 in brackets). Port 0 (any free port) only when `allowAnyPort`,
    /// which tests and `review serve` use; a config names a fixed port people can bookmark.
    public static func parse(_ text: String, allowAnyPort: Bool = false) -> Result<ReviewWebAddress, ReviewWebAddressError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let host: Substring, portText: Substring
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.form(text)) }
            portText = rest.dropFirst()
        } else if let colon = trimmed.lastIndex(of: ":"), !trimmed[..<colon].contains(":") {
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        } else {
            return .failure(.form(text))
        }
        guard !host.isEmpty, let port = Int(portText), (allowAnyPort ? 0 : 1)...65535 ~= port else { return .failure(.form(text)) }
        return .success(ReviewWebAddress(host: String(host), port: port))
    }

    /// True when only this machine can connect: 127.0.0.0/8, ::1 or localhost. Anything else
    /// (0.0.0.0, a LAN address) is reachable from the boat's network and needs a token.
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum ReviewWebAddressError: Error, Equatable, CustomStringConvertible {
    case form(String)
    case tokenNeeded(ReviewWebAddress)
    case weakToken

    public var description: String {
        switch self {
        case .form(let text):
            "expected HOST:PORT such as \"127.0.0.1:8088\" or \"0.0.0.0:8088\" (IPv6 as \"[::1]:8088\"), got \"\(text)\""
        case .tokenNeeded(let address):
            "refusing to serve the review page on \(address), which other machines on the network can reach, without a token: set [review] web_token, or listen on 127.0.0.1"
        case .weakToken:
            "the review token must be at least 8 characters: anyone on the boat's network can try to guess it"
        }
    }
}

extension ReviewPolicy {
    /// The web page's address and token together, checked: a non-loopback address needs a token.
    public func webSettings(listen: ReviewWebAddress? = nil, token: String? = nil) throws(ReviewWebAddressError) -> (ReviewWebAddress, String?)? {
        guard let address = listen ?? webListen else { return nil }
        let token = (token ?? webToken).flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < 8 { throw .weakToken }
        if !address.isLoopback, token == nil { throw .tokenNeeded(address) }
        return (address, token)
    }
}
