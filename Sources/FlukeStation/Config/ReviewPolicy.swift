import FlukeCore
import Foundation

/// The `[review]` section: who reviews on this station and which sightings need nobody.
public struct ReviewPolicy: Sendable, Equatable {
    /// Matches scoring above this are confirmed when recorded (reviewer "auto"); nil: never, so
    /// every sighting waits for a person. Off by default: a station must opt in to trusting
    /// its thresholds.
    public var autoConfirmAbove: Double?
    /// The name written into review decisions when `--reviewer` is not given (else $USER).
    public var reviewer: String?
    /// Where the daemon serves the review web page; nil (the default): no web page.
    public var webListen: ReviewWebAddress?
    /// The shared password reviewers log in with; required unless `webListen` is loopback.
    public var webToken: String?

    public init(autoConfirmAbove: Double? = nil, reviewer: String? = nil, webListen: ReviewWebAddress? = nil, webToken: String? = nil) {
        self.autoConfirmAbove = autoConfirmAbove
        self.reviewer = reviewer
        self.webListen = webListen
        self.webToken = webToken
    }
}

extension ReviewPolicy {
    /// Reads `[review]`; every value is checked here so a bad one fails at start-up, with its line.
    static func read(_ s: inout TableReader) throws(ConfigError) -> ReviewPolicy {
        var policy = ReviewPolicy()
        if let v = try s.number("auto_confirm_above") {
            guard StationScore.range.contains(v) else {
                throw s.error("auto_confirm_above", "expected \(StationScore.explained) (e.g. 0.9), got \(v); leave the key out to review every sighting by hand")
            }
            policy.autoConfirmAbove = v
        }
        if let v = try s.string("reviewer") {
            let name = v.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw s.error("reviewer", "expected a name, got an empty string") }
            guard name != Reviewer.automatic else {
                throw s.error("reviewer", "\"\(name)\" is reserved for automatic confirmations; give a person's name")
            }
            policy.reviewer = name
        }
        if let v = try s.string("web_listen") {
            switch ReviewWebAddress.parse(v) {
            case .success(let address): policy.webListen = address
            case .failure(let error): throw s.error("web_listen", error.description)
            }
        }
        if let v = try s.string("web_token") { policy.webToken = v }
        do {
            _ = try policy.webSettings()
        } catch {
            throw s.error(error == .weakToken ? "web_token" : "web_listen", error.description)
        }
        try s.finish()
        return policy
    }
}
