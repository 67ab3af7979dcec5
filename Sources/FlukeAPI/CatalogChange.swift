/// One change to the shared catalog, in the order the hub made them. Stations apply them in
/// `seq` order and keep the last `seq` as their cursor.
public struct CatalogChange: Codable, Sendable, Equatable {
    public var seq: Int64
    public var at: String
    public var change: Change

    public enum Kind: String, Codable, Sendable {
        case individual, assignment, merge
        case referenceEmbedding = "reference-embedding"
        case rejection
    }

    /// What changed; each case carries exactly the fields its kind needs.
    public enum Change: Sendable, Equatable {
        /// A new individual (from promoted candidates).
        case individual(id: String, name: String?)
        /// A station's provisional id now names this global individual.
        case assignment(stationID: String, provisionalID: String, individualID: String)
        /// `from` is the same whale as `into` and collapses into it.
        case merge(from: String, into: String)
        /// A reference photo of an individual, as its embedding (tagged with the model version).
        case referenceEmbedding(individualID: String, embedding: WireEmbedding, cropSHA256: String?)
        /// A station's candidate is not an individual.
        case rejection(stationID: String, provisionalID: String, reason: String)
    }

    public var kind: Kind {
        switch change {
        case .individual: .individual
        case .assignment: .assignment
        case .merge: .merge
        case .referenceEmbedding: .referenceEmbedding
        case .rejection: .rejection
        }
    }

    public init(seq: Int64, at: String, change: Change) {
        self.seq = seq
        self.at = at
        self.change = change
    }

    enum CodingKeys: String, CodingKey {
        case seq, kind, at, name, reason, embedding
        case individualID = "individual_id", stationID = "station_id", provisionalID = "provisional_id"
        case fromID = "from_id", intoID = "into_id", cropSHA256 = "crop_sha256"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int64.self, forKey: .seq)
        at = try c.decode(String.self, forKey: .at)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .individual:
            change = .individual(id: try c.decode(String.self, forKey: .individualID), name: try c.decodeIfPresent(String.self, forKey: .name))
        case .assignment:
            change = .assignment(stationID: try c.decode(String.self, forKey: .stationID),
                                 provisionalID: try c.decode(String.self, forKey: .provisionalID),
                                 individualID: try c.decode(String.self, forKey: .individualID))
        case .merge:
            change = .merge(from: try c.decode(String.self, forKey: .fromID), into: try c.decode(String.self, forKey: .intoID))
        case .referenceEmbedding:
            change = .referenceEmbedding(individualID: try c.decode(String.self, forKey: .individualID),
                                         embedding: try c.decode(WireEmbedding.self, forKey: .embedding),
                                         cropSHA256: try c.decodeIfPresent(String.self, forKey: .cropSHA256))
        case .rejection:
            change = .rejection(stationID: try c.decode(String.self, forKey: .stationID),
                                provisionalID: try c.decode(String.self, forKey: .provisionalID),
                                reason: try c.decode(String.self, forKey: .reason))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(at, forKey: .at)
        try c.encode(kind, forKey: .kind)
        switch change {
        case .individual(let id, let name):
            try c.encode(id, forKey: .individualID)
            try c.encodeIfPresent(name, forKey: .name)
        case .assignment(let station, let provisional, let individual):
            try c.encode(station, forKey: .stationID)
            try c.encode(provisional, forKey: .provisionalID)
            try c.encode(individual, forKey: .individualID)
        case .merge(let from, let into):
            try c.encode(from, forKey: .fromID)
            try c.encode(into, forKey: .intoID)
        case .referenceEmbedding(let individual, let embedding, let crop):
            try c.encode(individual, forKey: .individualID)
            try c.encode(embedding, forKey: .embedding)
            try c.encodeIfPresent(crop, forKey: .cropSHA256)
        case .rejection(let station, let provisional, let reason):
            try c.encode(station, forKey: .stationID)
            try c.encode(provisional, forKey: .provisionalID)
            try c.encode(reason, forKey: .reason)
        }
    }
}

/// `GET /v1/catalog/changes`.
public struct ChangePage: Codable, Sendable, Equatable {
    public var changes: [CatalogChange]
    /// Pass as `after` for the next page (the last change's seq, or the cursor given).
    public var nextCursor: Int64
    public var hasMore: Bool

    public init(changes: [CatalogChange], nextCursor: Int64, hasMore: Bool) {
        self.changes = changes
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }

    enum CodingKeys: String, CodingKey { case changes, nextCursor = "next_cursor", hasMore = "has_more" }
}
