import FlukeCore
import Foundation
import GRDB

/// Counts an operator checks first. JSON field names are a contract (`flukewatch status --json`).
public struct StationStatus: Codable, Sendable, Equatable {
    public struct PhotoCounts: Codable, Sendable, Equatable {
        /// Distinct photos (by content) plus files that could not be read at all.
        public var total: Int
        public var queued: Int
        public var processing: Int
        public var done: Int
        public var failed: Int
        /// Quarantined photos plus unreadable files.
        public var quarantined: Int
        /// Files whose bytes had already been recorded from another path.
        public var duplicates: Int
    }

    public var photos: PhotoCounts
    public var sightings: Int
    public var sidecars: Int
    /// Quarantined photos by reason code, e.g. {"truncated": 2}.
    public var quarantineReasons: [String: Int]
    public var lastSightingAt: String?
    public var database: String

    enum CodingKeys: String, CodingKey {
        case photos, sightings, sidecars, database
        case quarantineReasons = "quarantine_reasons"
        case lastSightingAt = "last_sighting_at"
    }
}

/// One photo as `flukewatch photos` lists it.
public struct PhotoListing: Codable, Sendable {
    public var sha256: String
    public var state: String
    public var path: String
    public var camera: String
    public var capturedAt: String
    public var captureTimeSource: String
    public var latitude: Double?
    public var longitude: Double?
    public var width: Int?
    public var height: Int?
    public var reason: String?
    public var quarantineCode: String?
    public var duplicatePaths: [String]
    public var sidecars: [String]

    enum CodingKeys: String, CodingKey {
        case sha256, state, path, camera, latitude, longitude, width, height, reason, sidecars
        case capturedAt = "captured_at"
        case captureTimeSource = "capture_time_source"
        case quarantineCode = "quarantine_code"
        case duplicatePaths = "duplicate_paths"
    }
}

/// One sighting as `flukewatch sightings` lists it.
public struct SightingListing: Codable, Sendable {
    public var id: Int64
    public var uuid: String
    public var photoSHA256: String
    public var decision: String
    public var individual: String?
    public var score: Double?
    public var camera: String
    public var path: String
    public var capturedAt: String
    public var captureTimeSource: String
    public var latitude: Double?
    public var longitude: Double?
    public var sharpness: Double?
    public var thumbnail: String?
    public var modelVersion: String?
    public var encounterID: Int64?
    public var usefulness: Double?
    /// Why the photo was unusable for identification (empty: usable, or not identified).
    public var unusableBecause: [String]

    enum CodingKeys: String, CodingKey {
        case id, uuid, decision, individual, score, camera, path, latitude, longitude, sharpness, thumbnail, usefulness
        case encounterID = "encounter_id", unusableBecause = "unusable_because"
        case photoSHA256 = "photo_sha256"
        case capturedAt = "captured_at"
        case captureTimeSource = "capture_time_source"
        case modelVersion = "model_version"
    }
}

/// Read-only questions about the station's state (safe while the daemon runs: WAL readers).
public struct StationQueries: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    public func status() throws -> StationStatus {
        try database.pool.read { db in
            var byState: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM photo GROUP BY state") {
                byState[row["state"]] = row["n"]
            }
            let unreadable = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM unreadable_file") ?? 0
            let duplicates = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM photo_file WHERE is_duplicate") ?? 0
            var reasons: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT quarantine_code, COUNT(*) AS n FROM photo WHERE state = 'quarantined' GROUP BY quarantine_code
                """) {
                reasons[(row["quarantine_code"] as String?) ?? "unknown"] = row["n"]
            }
            if unreadable > 0 { reasons["unreadable", default: 0] += unreadable }
            let lastEpoch = try Double.fetchOne(db, sql: "SELECT MAX(created_at) FROM sighting")
            let counts = StationStatus.PhotoCounts(
                total: byState.values.reduce(0, +) + unreadable,
                queued: byState["queued"] ?? 0, processing: byState["processing"] ?? 0,
                done: byState["done"] ?? 0, failed: byState["failed"] ?? 0,
                quarantined: (byState["quarantined"] ?? 0) + unreadable, duplicates: duplicates)
            return StationStatus(
                photos: counts,
                sightings: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sighting") ?? 0,
                sidecars: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sidecar") ?? 0,
                quarantineReasons: reasons,
                lastSightingAt: lastEpoch.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) },
                database: database.path)
        }
    }

    /// Photos in intake order, optionally only those in `state`.
    public func photos(state: PhotoState? = nil, limit: Int? = nil) throws -> [PhotoListing] {
        try database.pool.read { db in
            var sql = "SELECT * FROM photo"
            var args: StatementArguments = []
            if let state {
                sql += " WHERE state = ?"
                args += [state.rawValue]
            }
            sql += " ORDER BY queued_at, sha256"
            if let limit { sql += " LIMIT \(limit)" }
            return try Row.fetchAll(db, sql: sql, arguments: args).map { row in
                let sha: String = row["sha256"]
                let dupes = try String.fetchAll(db, sql: "SELECT path FROM photo_file WHERE photo_sha256 = ? AND is_duplicate ORDER BY id",
                                                arguments: [sha])
                let sidecars = try String.fetchAll(db, sql: """
                    SELECT s.path FROM sidecar s JOIN photo_file f ON f.directory = s.directory AND f.stem = s.stem
                    WHERE f.photo_sha256 = ? ORDER BY s.path
                    """, arguments: [sha])
                return PhotoListing(
                    sha256: sha, state: row["state"], path: row["first_path"], camera: row["camera"],
                    capturedAt: row["captured_at"], captureTimeSource: row["capture_time_source"],
                    latitude: row["latitude"], longitude: row["longitude"], width: row["width"], height: row["height"],
                    reason: row["reason"], quarantineCode: row["quarantine_code"], duplicatePaths: dupes, sidecars: sidecars)
            }
        }
    }

    /// Sightings in capture-time order, optionally only those captured at or after `since`.
    public func sightings(since: Date? = nil) throws -> [SightingListing] {
        try database.pool.read { db in
            var sql = """
                SELECT s.*, p.camera, p.first_path, p.captured_at, p.capture_time_source, p.latitude, p.longitude,
                       p.sharpness, p.thumbnail_path
                FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256
                """
            var args: StatementArguments = []
            if let since {
                sql += " WHERE p.captured_epoch >= ?"
                args += [since.timeIntervalSince1970]
            }
            sql += " ORDER BY p.captured_epoch, s.id"
            return try Row.fetchAll(db, sql: sql, arguments: args).map { row in
                SightingListing(
                    id: row["id"], uuid: row["uuid"], photoSHA256: row["photo_sha256"], decision: row["decision"],
                    individual: row["individual_id"], score: row["score"], camera: row["camera"], path: row["first_path"],
                    capturedAt: row["captured_at"], captureTimeSource: row["capture_time_source"],
                    latitude: row["latitude"], longitude: row["longitude"], sharpness: row["sharpness"],
                    thumbnail: row["thumbnail_path"], modelVersion: row["model_version"], encounterID: row["encounter_id"],
                    usefulness: row["usefulness"],
                    unusableBecause: (row["unusable_because"] as String?)?.components(separatedBy: "; ") ?? [])
            }
        }
    }
}
