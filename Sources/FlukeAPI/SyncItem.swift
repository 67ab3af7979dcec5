import Foundation

/// One thing a station tells the hub. Its `itemID` is what the hub deduplicates on, per station.
public enum SyncItem: Codable, Sendable, Equatable {
    case sighting(SightingItem)
    case candidate(CandidateItem)
    case reviewDecision(ReviewDecisionItem)

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sighting, candidate
        case reviewDecision = "review-decision"
    }

    public var kind: Kind {
        switch self {
        case .sighting: .sighting
        case .candidate: .candidate
        case .reviewDecision: .reviewDecision
        }
    }

    public var itemID: String {
        switch self {
        case .sighting(let s): s.itemID
        case .candidate(let c): c.itemID
        case .reviewDecision(let r): r.itemID
        }
    }

    enum KindKey: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kindText = try decoder.container(keyedBy: KindKey.self).decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: kindText) else {
            throw Check.fail(decoder, KindKey.kind, "expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(kindText.prefix(40))\"")
        }
        switch kind {
        case .sighting: self = .sighting(try SightingItem(from: decoder))
        case .candidate: self = .candidate(try CandidateItem(from: decoder))
        case .reviewDecision: self = .reviewDecision(try ReviewDecisionItem(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: KindKey.self)
        try c.encode(kind.rawValue, forKey: .kind)
        switch self {
        case .sighting(let s): try s.encode(to: encoder)
        case .candidate(let c): try c.encode(to: encoder)
        case .reviewDecision(let r): try r.encode(to: encoder)
        }
    }
}

/// A photo the station identified: facts that never change once recorded. `itemID` is the
/// sighting's uuid; what reviewers decide about it travels as review decisions.
public struct SightingItem: Codable, Sendable, Equatable {
    public enum Decision: String, Codable, Sendable {
        case awaitingIdentification = "awaiting-identification", match, uncertain, new
    }

    public var itemID: String
    public var photoSHA256: String
    public var capturedAt: String
    public var camera: String
    public var latitude: Double?
    public var longitude: Double?
    public var decision: Decision
    /// The machine's best candidate (a global id, or one of this station's provisional ids).
    public var individualID: String?
    public var score: Double?
    public var embedding: WireEmbedding?
    public var cropSHA256: String?

    public init(itemID: String, photoSHA256: String, capturedAt: String, camera: String, latitude: Double? = nil,
                longitude: Double? = nil, decision: Decision, individualID: String? = nil, score: Double? = nil,
                embedding: WireEmbedding? = nil, cropSHA256: String? = nil) {
        self.itemID = itemID
        self.photoSHA256 = photoSHA256
        self.capturedAt = capturedAt
        self.camera = camera
        self.latitude = latitude
        self.longitude = longitude
        self.decision = decision
        self.individualID = individualID
        self.score = score
        self.embedding = embedding
        self.cropSHA256 = cropSHA256
    }

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id", photoSHA256 = "photo_sha256", capturedAt = "captured_at", camera, latitude, longitude
        case decision, individualID = "individual_id", score, embedding, cropSHA256 = "crop_sha256"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        itemID = try c.decode(String.self, forKey: .itemID)
        photoSHA256 = try c.decode(String.self, forKey: .photoSHA256)
        capturedAt = try c.decode(String.self, forKey: .capturedAt)
        camera = try c.decode(String.self, forKey: .camera)
        latitude = try c.decodeIfPresent(Double.self, forKey: .latitude)
        longitude = try c.decodeIfPresent(Double.self, forKey: .longitude)
        decision = try c.decode(Decision.self, forKey: .decision)
        individualID = try c.decodeIfPresent(String.self, forKey: .individualID)
        score = try c.decodeIfPresent(Double.self, forKey: .score)
        embedding = try c.decodeIfPresent(WireEmbedding.self, forKey: .embedding)
        cropSHA256 = try c.decodeIfPresent(String.self, forKey: .cropSHA256)
        try Check.matches(itemID, Check.itemID, decoder, CodingKeys.itemID, "1 to 128 letters, digits, '.', '_', ':' or '-'")
        try Check.matches(photoSHA256, Check.sha256, decoder, CodingKeys.photoSHA256, "a SHA-256 in lowercase hex")
        try Check.timestamp(capturedAt, decoder, CodingKeys.capturedAt)
        try Check.length(camera, 1...128, decoder, CodingKeys.camera)
        if let latitude, !(-90...90).contains(latitude) { throw Check.fail(decoder, CodingKeys.latitude, "expected -90 to 90, got \(latitude)") }
        if let longitude, !(-180...180).contains(longitude) { throw Check.fail(decoder, CodingKeys.longitude, "expected -180 to 180, got \(longitude)") }
        if let individualID { try Check.length(individualID, 1...128, decoder, CodingKeys.individualID) }
        if let cropSHA256 { try Check.matches(cropSHA256, Check.sha256, decoder, CodingKeys.cropSHA256, "a SHA-256 in lowercase hex") }
    }
}

/// A whale the station's catalog did not know. `itemID` is its provisional id (`P-<station>-NNNN`).
public struct CandidateItem: Codable, Sendable, Equatable {
    public var itemID: String
    public var name: String?
    /// The sighting that made a reviewer create it.
    public var sightingID: String
    public var createdAt: String
    public var embedding: WireEmbedding?
    public var cropSHA256: String?

    public init(itemID: String, name: String? = nil, sightingID: String, createdAt: String,
                embedding: WireEmbedding? = nil, cropSHA256: String? = nil) {
        self.itemID = itemID
        self.name = name
        self.sightingID = sightingID
        self.createdAt = createdAt
        self.embedding = embedding
        self.cropSHA256 = cropSHA256
    }

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id", name, sightingID = "sighting_id", createdAt = "created_at", embedding, cropSHA256 = "crop_sha256"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        itemID = try c.decode(String.self, forKey: .itemID)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        sightingID = try c.decode(String.self, forKey: .sightingID)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        embedding = try c.decodeIfPresent(WireEmbedding.self, forKey: .embedding)
        cropSHA256 = try c.decodeIfPresent(String.self, forKey: .cropSHA256)
        try Check.matches(itemID, Check.itemID, decoder, CodingKeys.itemID, "1 to 128 letters, digits, '.', '_', ':' or '-'")
        if let name { try Check.length(name, 0...128, decoder, CodingKeys.name) }
        try Check.matches(sightingID, Check.itemID, decoder, CodingKeys.sightingID, "a sighting's item id")
        try Check.timestamp(createdAt, decoder, CodingKeys.createdAt)
        if let cropSHA256 { try Check.matches(cropSHA256, Check.sha256, decoder, CodingKeys.cropSHA256, "a SHA-256 in lowercase hex") }
    }
}

/// One entry of a station's review log. `itemID` is the decision's uuid.
public struct ReviewDecisionItem: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case confirm, reassign, newIndividual = "new-individual", reject, undo
    }
    public enum State: String, Codable, Sendable { case open, confirmed, rejected }

    public var itemID: String
    public var sightingID: String
    public var action: Action
    public var reviewer: String
    public var decidedAt: String
    /// The sighting's review state after this decision.
    public var state: State
    public var individualID: String?
    public var rejectReason: String?
    public var autoConfirmed: Bool
    /// The item id of the decision an undo reverts.
    public var undoes: String?

    public init(itemID: String, sightingID: String, action: Action, reviewer: String, decidedAt: String, state: State,
                individualID: String? = nil, rejectReason: String? = nil, autoConfirmed: Bool = false, undoes: String? = nil) {
        self.itemID = itemID
        self.sightingID = sightingID
        self.action = action
        self.reviewer = reviewer
        self.decidedAt = decidedAt
        self.state = state
        self.individualID = individualID
        self.rejectReason = rejectReason
        self.autoConfirmed = autoConfirmed
        self.undoes = undoes
    }

    enum CodingKeys: String, CodingKey {
        case itemID = "item_id", sightingID = "sighting_id", action, reviewer, decidedAt = "decided_at", state
        case individualID = "individual_id", rejectReason = "reject_reason", autoConfirmed = "auto_confirmed", undoes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        itemID = try c.decode(String.self, forKey: .itemID)
        sightingID = try c.decode(String.self, forKey: .sightingID)
        action = try c.decode(Action.self, forKey: .action)
        reviewer = try c.decode(String.self, forKey: .reviewer)
        decidedAt = try c.decode(String.self, forKey: .decidedAt)
        state = try c.decode(State.self, forKey: .state)
        individualID = try c.decodeIfPresent(String.self, forKey: .individualID)
        rejectReason = try c.decodeIfPresent(String.self, forKey: .rejectReason)
        autoConfirmed = try c.decode(Bool.self, forKey: .autoConfirmed)
        undoes = try c.decodeIfPresent(String.self, forKey: .undoes)
        try Check.matches(itemID, Check.itemID, decoder, CodingKeys.itemID, "1 to 128 letters, digits, '.', '_', ':' or '-'")
        try Check.matches(sightingID, Check.itemID, decoder, CodingKeys.sightingID, "a sighting's item id")
        try Check.length(reviewer, 1...128, decoder, CodingKeys.reviewer)
        try Check.timestamp(decidedAt, decoder, CodingKeys.decidedAt)
        if let individualID { try Check.length(individualID, 1...128, decoder, CodingKeys.individualID) }
        if let rejectReason { try Check.length(rejectReason, 0...1000, decoder, CodingKeys.rejectReason) }
        if let undoes { try Check.matches(undoes, Check.itemID, decoder, CodingKeys.undoes, "a decision's item id") }
    }
}
