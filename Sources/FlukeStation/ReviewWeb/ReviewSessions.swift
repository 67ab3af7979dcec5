import Foundation
import Synchronization

/// Logged-in reviewers. A session is a random id in an HttpOnly, SameSite=Strict cookie plus a
/// second random value, the CSRF token, that every form carries: a page on another site can
/// make the browser send the cookie, but cannot read the token, so it cannot forge a decision.
/// Sessions live in memory: a restart of the station asks reviewers to log in again.
public final class ReviewSessions: Sendable {
    public struct Session: Sendable, Equatable {
        public var id: String
        public var reviewer: String
        public var csrf: String
        var expires: Date
    }

    public static let cookieName = "fw_review"
    /// A working day at sea; then log in again.
    static let lifetime: TimeInterval = 14 * 3600

    /// The shared password; nil when the page only listens on loopback without one.
    let token: String?
    private let sessions = Mutex<[String: Session]>([:])

    public init(token: String?) { self.token = token }

    public var requiresToken: Bool { token != nil }

    /// Checks the token (in constant time) and opens a session for `reviewer`.
    public func login(reviewer: String, token given: String, now: Date = Date()) -> Session? {
        if let token, !Self.constantTimeEqual(token, given) { return nil }
        let session = Session(id: Self.randomToken(), reviewer: reviewer, csrf: Self.randomToken(),
                              expires: now.addingTimeInterval(Self.lifetime))
        sessions.withLock { all in
            all = all.filter { $0.value.expires > now }
            all[session.id] = session
        }
        return session
    }

    public func session(id: String?, now: Date = Date()) -> Session? {
        guard let id else { return nil }
        return sessions.withLock { all in
            guard let s = all[id] else { return nil }
            guard s.expires > now else { all[id] = nil; return nil }
            return s
        }
    }

    public func logout(id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// 32 random bytes from the system's generator, as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Compares without stopping at the first difference, so timing tells nothing about the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
