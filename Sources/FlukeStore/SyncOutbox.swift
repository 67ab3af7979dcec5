import FlukeAPI
import Foundation
import GRDB

/// The station's side of the outbox: expanding rows into wire items, handing out batches in
/// order within a byte budget, and recording what the hub acknowledged or refused. Every method
/// is one transaction, so a station killed mid-sync resumes exactly where the database says.
public struct SyncOutbox: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    /// An item waiting for the hub, exactly as it will be sent.
    public struct PendingItem: Sendable, Equatable {
        public var itemID: String
        public var kind: String
        public var body: Data
        /// Body plus crop bytes: what sending it costs.
        public var bytes: Int
        public var cropSHA256: String?
        public var cropPath: String?
    }

    /// Expands outbox rows not yet prepared into `sync_item` rows (one transaction for up to
    /// `limit` rows). A row that cannot be expanded is parked with the reason, not retried forever.
    /// Returns the number of rows prepared and parked.
    @discardableResult
    public func prepare(stateDirectory: String, fullFrames: Bool = false, limit: Int = 200) throws -> (prepared: Int, parked: Int) {
        let builder = SyncItemBuilder(stateDirectory: stateDirectory, fullFrames: fullFrames)
        return try database.pool.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, kind, payload_json FROM sync_outbox
                WHERE prepared_at IS NULL AND parked_reason IS NULL AND acknowledged_at IS NULL ORDER BY id LIMIT ?
                """, arguments: [limit])
            let now = Date().timeIntervalSince1970
            var prepared = 0, parked = 0
            for row in rows {
                let id: Int64 = row["id"]
                do {
                    for built in try builder.items(kind: row["kind"], payloadJSON: row["payload_json"], db) {
                        let body = try WireCoding.encode(built.item)
                        try db.execute(sql: """
                            INSERT INTO sync_item (outbox_id, item_id, kind, body, bytes, crop_sha256, crop_path)
                            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(item_id) DO NOTHING
                            """, arguments: [id, built.item.itemID, built.item.kind.rawValue, String(decoding: body, as: UTF8.self),
                                             body.count + built.cropBytes, built.cropSHA256, built.cropPath])
                    }
                    try db.execute(sql: "UPDATE sync_outbox SET prepared_at = ? WHERE id = ?", arguments: [now, id])
                    prepared += 1
                } catch let error as SyncPrepareError {
                    try db.execute(sql: "UPDATE sync_outbox SET parked_reason = ? WHERE id = ?", arguments: [error.description, id])
                    parked += 1
                }
            }
            return (prepared, parked)
        }
    }

    /// The oldest unacknowledged items whose bytes add up to at most `maxBytes` (but always the
    /// first one, so an item larger than the budget still goes, alone).
    public func nextBatch(maxBytes: Int, maxItems: Int = Batch.maxItems) throws -> [PendingItem] {
        try database.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT item_id, kind, body, bytes, crop_sha256, crop_path FROM sync_item
                WHERE acknowledged_at IS NULL AND parked_reason IS NULL ORDER BY id
                """)
            var out: [PendingItem] = []
            var total = 0
            while let row = try rows.next(), out.count < maxItems {
                let bytes: Int = row["bytes"]
                if !out.isEmpty, total + bytes > maxBytes { break }
                total += bytes
                out.append(PendingItem(itemID: row["item_id"], kind: row["kind"], body: Data((row["body"] as String).utf8),
                                       bytes: bytes, cropSHA256: row["crop_sha256"], cropPath: row["crop_path"]))
            }
            return out
        }
    }

    public func isCropUploaded(_ sha256: String) throws -> Bool {
        try database.pool.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM sync_crop WHERE sha256 = ?", arguments: [sha256]) == true }
    }

    public func markCropUploaded(_ sha256: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO sync_crop (sha256, uploaded_at) VALUES (?, ?)",
                           arguments: [sha256, Date().timeIntervalSince1970])
        }
    }

    /// Marks items the hub holds; an outbox row is acknowledged once all its items are.
    public func acknowledge(_ itemIDs: [String], at date: Date = Date()) throws {
        let now = date.timeIntervalSince1970
        try database.pool.write { db in
            for chunk in stride(from: 0, to: itemIDs.count, by: 500).map({ Array(itemIDs[$0..<min($0 + 500, itemIDs.count)]) }) {
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                try db.execute(sql: "UPDATE sync_item SET acknowledged_at = ? WHERE acknowledged_at IS NULL AND item_id IN (\(marks))",
                               arguments: StatementArguments([now] + chunk))
            }
            try db.execute(sql: """
                UPDATE sync_outbox SET acknowledged_at = ?
                WHERE acknowledged_at IS NULL AND prepared_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM sync_item i WHERE i.outbox_id = sync_outbox.id AND i.acknowledged_at IS NULL)
                """, arguments: [now])
        }
    }

    /// Sets an item aside for good (the hub refused it) with the reason; the rest goes on.
    public func park(_ itemID: String, reason: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE sync_item SET parked_reason = ? WHERE item_id = ?", arguments: [reason, itemID])
            try db.execute(sql: """
                UPDATE sync_outbox SET parked_reason = ? WHERE id = (SELECT outbox_id FROM sync_item WHERE item_id = ?)
                """, arguments: [reason, itemID])
        }
    }

    /// Items the hub refused for good, oldest first: (item id, kind, why).
    public func parkedItems() throws -> [(itemID: String, kind: String, reason: String)] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT item_id, kind, parked_reason FROM sync_item WHERE parked_reason IS NOT NULL ORDER BY id")
                .map { ($0["item_id"], $0["kind"], $0["parked_reason"]) }
        }
    }

    public func countAttempt(_ itemIDs: [String]) throws {
        try database.pool.write { db in
            for id in itemIDs { try db.execute(sql: "UPDATE sync_item SET attempts = attempts + 1 WHERE item_id = ?", arguments: [id]) }
        }
    }

    // MARK: State

    public func state(_ key: SyncStateKey) throws -> String? {
        try database.pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM sync_state WHERE key = ?", arguments: [key.rawValue]) }
    }

    public func setState(_ values: [SyncStateKey: String]) throws {
        try database.pool.write { db in try Self.set(values, db) }
    }

    static func set(_ values: [SyncStateKey: String], _ db: Database) throws {
        for (key, value) in values {
            try db.execute(sql: "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key.rawValue, value])
        }
    }

    public func status() throws -> SyncStatus {
        try database.pool.read { db in
            var state: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM sync_state") { state[row["key"]] = row["value"] }
            return SyncStatus(
                outbox: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sync_outbox WHERE acknowledged_at IS NULL AND parked_reason IS NULL") ?? 0,
                parked: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sync_item WHERE parked_reason IS NOT NULL") ?? 0,
                acknowledged: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sync_outbox WHERE acknowledged_at IS NOT NULL") ?? 0,
                catalogCursor: state[SyncStateKey.catalogCursor.rawValue].flatMap { Int64($0) } ?? 0,
                lastSuccessAt: state[SyncStateKey.lastSuccessAt.rawValue],
                lastErrorAt: state[SyncStateKey.lastErrorAt.rawValue],
                lastError: state[SyncStateKey.lastError.rawValue])
        }
    }
}

public enum SyncStateKey: String, Sendable {
    case catalogCursor = "catalog_cursor"
    case lastSuccessAt = "last_success_at"
    case lastErrorAt = "last_error_at"
    case lastError = "last_error"
}

/// The `sync` object of `flukewatch status --json`.
public struct SyncStatus: Codable, Sendable, Equatable {
    /// Outbox rows the hub has not acknowledged yet (parked ones not counted).
    public var outbox: Int
    /// Items the hub refused for good; `flukewatch sync` lists why.
    public var parked: Int
    public var acknowledged: Int
    public var catalogCursor: Int64
    public var lastSuccessAt: String?
    public var lastErrorAt: String?
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case outbox, parked, acknowledged
        case catalogCursor = "catalog_cursor", lastSuccessAt = "last_success_at", lastErrorAt = "last_error_at", lastError = "last_error"
    }
}
