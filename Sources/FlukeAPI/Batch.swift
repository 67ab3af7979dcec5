/// `POST /v1/stations/{station}/batches`: applied all or nothing.
public struct Batch: Codable, Sendable, Equatable {
    public static let maxItems = 500

    public var items: [SyncItem]

    public init(items: [SyncItem]) { self.items = items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([SyncItem].self, forKey: .items)
        guard (1...Self.maxItems).contains(items.count) else {
            throw Check.fail(decoder, CodingKeys.items, "expected 1 to \(Self.maxItems) items, got \(items.count)")
        }
        var seen = Set<String>()
        for item in items where !seen.insert(item.itemID).inserted {
            throw Check.fail(decoder, CodingKeys.items, "item id \"\(item.itemID)\" appears twice in one batch")
        }
    }

    enum CodingKeys: String, CodingKey { case items }
}

/// What became of each item of an accepted batch.
public struct BatchResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Stored now.
        case accepted
        /// Already held with the same content; nothing changed.
        case duplicate
    }

    public struct ItemResult: Codable, Sendable, Equatable {
        public var itemID: String
        public var status: Status
        public init(itemID: String, status: Status) {
            self.itemID = itemID
            self.status = status
        }
        enum CodingKeys: String, CodingKey { case itemID = "item_id", status }
    }

    public var results: [ItemResult]
    public init(results: [ItemResult]) { self.results = results }
}

/// An item id the hub holds with other content, and the fields that differ.
public struct ItemConflict: Codable, Sendable, Equatable {
    public var itemID: String
    public var fields: [String]
    public init(itemID: String, fields: [String]) {
        self.itemID = itemID
        self.fields = fields
    }
    enum CodingKeys: String, CodingKey { case itemID = "item_id", fields }
}

/// Every error the hub answers with. `message` is for a person and says what to do.
public struct Problem: Codable, Sendable, Equatable, Error {
    public var status: Int
    public var code: String
    public var message: String
    public var conflicts: [ItemConflict]?

    public init(status: Int, code: String, message: String, conflicts: [ItemConflict]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.conflicts = conflicts
    }
}

/// `PUT /v1/crops/{sha256}`'s answer.
public struct CropStored: Codable, Sendable, Equatable {
    public var sha256: String
    public var bytes: Int
    public init(sha256: String, bytes: Int) {
        self.sha256 = sha256
        self.bytes = bytes
    }
}

public struct Health: Codable, Sendable, Equatable {
    public var status: String
    public var version: String
    public init(status: String = "ok", version: String) {
        self.status = status
        self.version = version
    }
}
