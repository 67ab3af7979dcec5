/// A station's candidate, named the way the station named it.
public struct CandidateRef: Codable, Sendable, Hashable {
    public var stationID: String
    public var provisionalID: String

    public init(stationID: String, provisionalID: String) {
        self.stationID = stationID
        self.provisionalID = provisionalID
    }

    enum CodingKeys: String, CodingKey { case stationID = "station_id", provisionalID = "provisional_id" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stationID = try c.decode(String.self, forKey: .stationID)
        provisionalID = try c.decode(String.self, forKey: .provisionalID)
        try Check.matches(stationID, Check.stationID, decoder, CodingKeys.stationID, "a station id")
        try Check.matches(provisionalID, Check.itemID, decoder, CodingKeys.provisionalID, "a provisional id such as P-boat-0001")
    }
}

public enum CandidateStatus: String, Codable, Sendable, CaseIterable {
    case open, promoted, merged, rejected
}

/// A candidate as curators see it.
public struct Candidate: Codable, Sendable, Equatable {
    public var seq: Int64
    public var stationID: String
    public var provisionalID: String
    public var name: String?
    public var sightingID: String
    public var status: CandidateStatus
    /// The global individual it became (promoted or merged).
    public var individualID: String?
    public var modelVersion: String?
    public var cropSHA256: String?
    public var createdAt: String

    public init(seq: Int64, stationID: String, provisionalID: String, name: String?, sightingID: String, status: CandidateStatus,
                individualID: String?, modelVersion: String?, cropSHA256: String?, createdAt: String) {
        self.seq = seq
        self.stationID = stationID
        self.provisionalID = provisionalID
        self.name = name
        self.sightingID = sightingID
        self.status = status
        self.individualID = individualID
        self.modelVersion = modelVersion
        self.cropSHA256 = cropSHA256
        self.createdAt = createdAt
    }

    public var ref: CandidateRef { CandidateRef(stationID: stationID, provisionalID: provisionalID) }

    enum CodingKeys: String, CodingKey {
        case seq, name, status
        case stationID = "station_id", provisionalID = "provisional_id", sightingID = "sighting_id"
        case individualID = "individual_id", modelVersion = "model_version", cropSHA256 = "crop_sha256", createdAt = "created_at"
    }
}

public struct CandidatePage: Codable, Sendable, Equatable {
    public var candidates: [Candidate]
    public var nextCursor: Int64
    public var hasMore: Bool

    public init(candidates: [Candidate], nextCursor: Int64, hasMore: Bool) {
        self.candidates = candidates
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }

    enum CodingKeys: String, CodingKey { case candidates, nextCursor = "next_cursor", hasMore = "has_more" }
}

public struct CandidateGroup: Codable, Sendable, Equatable {
    public var candidates: [Candidate]
    public var maxSimilarity: Double

    public init(candidates: [Candidate], maxSimilarity: Double) {
        self.candidates = candidates
        self.maxSimilarity = maxSimilarity
    }

    enum CodingKeys: String, CodingKey { case candidates, maxSimilarity = "max_similarity" }
}

public struct CandidateGroups: Codable, Sendable, Equatable {
    public var groups: [CandidateGroup]
    public init(groups: [CandidateGroup]) { self.groups = groups }
}

public struct PromoteRequest: Codable, Sendable, Equatable {
    public var candidates: [CandidateRef]
    public var name: String?

    public init(candidates: [CandidateRef], name: String? = nil) {
        self.candidates = candidates
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case candidates, name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        candidates = try c.decode([CandidateRef].self, forKey: .candidates)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        guard (1...100).contains(candidates.count) else { throw Check.fail(decoder, CodingKeys.candidates, "expected 1 to 100 candidates, got \(candidates.count)") }
        guard Set(candidates).count == candidates.count else { throw Check.fail(decoder, CodingKeys.candidates, "a candidate is named twice") }
        if let name { try Check.length(name, 1...128, decoder, CodingKeys.name) }
    }
}

public struct MergeCandidateRequest: Codable, Sendable, Equatable {
    public var candidate: CandidateRef
    public var into: String

    public init(candidate: CandidateRef, into: String) {
        self.candidate = candidate
        self.into = into
    }

    enum CodingKeys: String, CodingKey { case candidate, into }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        candidate = try c.decode(CandidateRef.self, forKey: .candidate)
        into = try c.decode(String.self, forKey: .into)
        try Check.length(into, 1...128, decoder, CodingKeys.into)
    }
}

public struct MergeIndividualsRequest: Codable, Sendable, Equatable {
    public var from: String
    public var into: String

    public init(from: String, into: String) {
        self.from = from
        self.into = into
    }

    enum CodingKeys: String, CodingKey { case from, into }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        from = try c.decode(String.self, forKey: .from)
        into = try c.decode(String.self, forKey: .into)
        try Check.length(from, 1...128, decoder, CodingKeys.from)
        try Check.length(into, 1...128, decoder, CodingKeys.into)
        guard from != into else { throw Check.fail(decoder, CodingKeys.into, "an individual cannot be merged into itself") }
    }
}

public struct RejectRequest: Codable, Sendable, Equatable {
    public var candidate: CandidateRef
    public var reason: String

    public init(candidate: CandidateRef, reason: String) {
        self.candidate = candidate
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case candidate, reason }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        candidate = try c.decode(CandidateRef.self, forKey: .candidate)
        reason = try c.decode(String.self, forKey: .reason)
        try Check.length(reason, 1...1000, decoder, CodingKeys.reason)
    }
}

public struct CuratorResult: Codable, Sendable, Equatable {
    public var individualID: String?
    public var changes: [CatalogChange]

    public init(individualID: String?, changes: [CatalogChange]) {
        self.individualID = individualID
        self.changes = changes
    }

    enum CodingKeys: String, CodingKey { case individualID = "individual_id", changes }
}

/// Routes of the protocol, in one place for both ends.
public enum HubPath {
    public static let health = "/v1/health"
    public static func batches(station: String) -> String { "/v1/stations/\(station)/batches" }
    public static func crop(_ sha256: String) -> String { "/v1/crops/\(sha256)" }
    public static let changes = "/v1/catalog/changes"
    public static let candidates = "/v1/curator/candidates"
    public static let candidateGroups = "/v1/curator/candidate-groups"
    public static let promote = "/v1/curator/promote"
    public static let mergeCandidate = "/v1/curator/merge-candidate"
    public static let mergeIndividuals = "/v1/curator/merge-individuals"
    public static let reject = "/v1/curator/reject"
}
