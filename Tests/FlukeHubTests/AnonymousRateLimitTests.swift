import FlukeAPI
import Foundation
import XCTest

/// Requests without a valid token are limited per client address; stations with tokens are not.
final class AnonymousRateLimitTests: XCTestCase {
    let http = TestHTTP()

    func testRequestsWithoutAValidTokenGet429PerAddressButTokensStillWork() async throws {
        let hub = try HubUnderTest(["--anonymous-rate", "0.5", "--anonymous-burst", "3"])
        try hub.start()
        defer { hub.stop() }
        let station = try hub.addToken("station", "boat-a")
        var statuses: [Int] = []
        // Missing, malformed and unknown tokens all count against the same address.
        statuses.append(try await http.send(.GET, hub.url + HubPath.changes).status)
        statuses.append(try await http.send(.GET, hub.url + HubPath.changes, headers: [("Authorization", "Basic abc")]).status)
        statuses.append(try await http.send(.GET, hub.url + HubPath.changes, token: "fwh_guess").status)
        let limited = try await http.send(.GET, hub.url + HubPath.changes, token: "fwh_guess-again")
        statuses.append(limited.status)
        XCTAssertEqual(statuses, [401, 401, 401, 429])
        XCTAssertEqual(limited.json["code"] as? String, "rate-limited")
        XCTAssertTrue((limited.json["message"] as? String ?? "").contains("without a valid token"), limited.text)
        XCTAssertNotNil(limited.headers.first(name: "Retry-After").flatMap(Int.init), "Retry-After tells when to come back")
        // The open health route shares the address's budget.
        let health = try await http.send(.GET, hub.url + HubPath.health)
        XCTAssertEqual(health.status, 429, health.text)
        // A station with its token is not held back by whoever else shares its address.
        for _ in 0..<5 {
            let answer = try await http.send(.GET, hub.url + HubPath.changes, token: station)
            XCTAssertEqual(answer.status, 200, answer.text)
        }
    }

    /// Behind a reverse proxy on loopback, `--trust-forwarded-for` counts each forwarded client
    /// on its own; without it the header is ignored (anyone could send one).
    func testForwardedForIsTrustedOnlyWhenAsked() async throws {
        for trusted in [true, false] {
            let hub = try HubUnderTest(["--anonymous-rate", "0.5", "--anonymous-burst", "2"] + (trusted ? ["--trust-forwarded-for"] : []))
            try hub.start()
            defer { hub.stop() }
            func probe(_ client: String) async throws -> Int {
                try await http.send(.GET, hub.url + HubPath.changes, headers: [("X-Forwarded-For", "198.51.100.7, \(client)")]).status
            }
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await probe("203.0.113.5")) }
            statuses.append(try await probe("203.0.113.6"))
            XCTAssertEqual(statuses, trusted ? [401, 401, 429, 401] : [401, 401, 429, 429], "trusted: \(trusted)")
        }
    }
}
