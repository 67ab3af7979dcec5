import FlukeCore
import Foundation
import GRDB

/// Where and how a sighting's photo was taken, beside what `reviewQueue` lists.
public struct SightingPhotoDetails: Sendable, Equatable {
    public var sightingID: Int64
    public var capturedEpoch: Double
    /// "exif", or "file-mtime" when the camera wrote no capture time.
    public var captureTimeSource: String
    public var latitude: Double?
    public var longitude: Double?
    public var cameraMake: String?
    public var cameraModel: String?
    /// Set once encounters are assigned; until then the review page groups by camera and time.
    public var encounterID: Int64?
    /// The station's combined call on the encounter ("match HW-2 0.612 from 3 photos"), when made.
    public var encounterCall: String?
    /// The individual the encounter's call leads with (what "confirm the encounter" confirms).
    public var encounterIndividual: String?
    /// Why the photo was too poor for the station to decide (empty: usable).
    public var unusableBecause: [String] = []
}

/// One reference photo of the catalog.
public struct CatalogPhotoRef: Sendable, Equatable {
    public var id: Int64
    public var individual: String
    public var sha256: String
    public var sourcePath: String
    /// "fluke" when the station crops the photo to the fluke, "none" for catalogs of crops.
    public var crop: String
}

/// Where a sighting's original photo is: its identity and every path its bytes were seen at.
public struct PhotoSourceRef: Sendable, Equatable {
    public var sha256: String
    public var paths: [String]
}

/// A confirmed sighting of an individual, for its history.
public struct IndividualSighting: Sendable, Equatable {
    public var sightingID: Int64
    public var capturedAt: String
    public var camera: String
    public var reviewedBy: String?
}

/// An individual as the review page shows it: its catalog photos and how often it was seen.
public struct IndividualSummary: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var isProvisional: Bool
    public var photoCount: Int
    public var photos: [CatalogPhotoRef]
    public var sightings: [IndividualSighting]
}

extension StationQueries {
    /// Photo details of every sighting, by sighting id.
    public func sightingPhotoDetails() throws -> [Int64: SightingPhotoDetails] {
        try database.pool.read { db in
            var out: [Int64: SightingPhotoDetails] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.id, s.encounter_id, s.unusable_because, p.captured_epoch, p.capture_time_source, p.latitude,
                       p.longitude, p.camera_make, p.camera_model,
                       e.decision AS e_decision, e.individual_id AS e_individual, e.score AS e_score, e.photos AS e_photos
                FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256
                LEFT JOIN encounter e ON e.id = s.encounter_id
                """) {
                var call: String?
                if let decision: String = row["e_decision"] {
                    let who = (row["e_individual"] as String?).map { " \($0)" } ?? ""
                    let score = (row["e_score"] as Double?).map { String(format: " %.3f", $0) } ?? ""
                    let photos: Int = row["e_photos"] ?? 0
                    call = "\(decision)\(who)\(score) from \(photos) photo\(photos == 1 ? "" : "s")"
                }
                out[row["id"]] = SightingPhotoDetails(
                    sightingID: row["id"], capturedEpoch: row["captured_epoch"], captureTimeSource: row["capture_time_source"],
                    latitude: row["latitude"], longitude: row["longitude"], cameraMake: row["camera_make"],
                    cameraModel: row["camera_model"], encounterID: row["encounter_id"], encounterCall: call,
                    encounterIndividual: row["e_individual"],
                    unusableBecause: (row["unusable_because"] as String?)?.components(separatedBy: "; ") ?? [])
            }
            return out
        }
    }

    /// The stored thumbnail of a sighting's photo, relative to the state directory (nil: none yet).
    public func thumbnailPath(sighting: Int64) throws -> String? {
        try database.pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT p.thumbnail_path FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256 WHERE s.id = ?
                """, arguments: [sighting])
        }
    }

    /// The sighting's photo and the paths it was seen at, first seen first (nil: no such sighting).
    public func photoSource(sighting: Int64) throws -> PhotoSourceRef? {
        try database.pool.read { db in
            guard let sha = try String.fetchOne(db, sql: "SELECT photo_sha256 FROM sighting WHERE id = ?", arguments: [sighting]) else {
                return nil
            }
            let paths = try String.fetchAll(db, sql: "SELECT path FROM photo_file WHERE photo_sha256 = ? ORDER BY seen_at", arguments: [sha])
            return PhotoSourceRef(sha256: sha, paths: paths)
        }
    }

    public func catalogPhoto(id: Int64) throws -> CatalogPhotoRef? {
        try database.pool.read { db in
            // How the photo was imported (cropped to the fluke or not) is kept with its embeddings.
            try Row.fetchOne(db, sql: """
                SELECT c.*, (SELECT e.crop FROM embedding e WHERE e.catalog_photo_id = c.id LIMIT 1) AS crop
                FROM catalog_photo c WHERE c.id = ?
                """, arguments: [id]).map(Self.catalogPhoto)
        }
    }

    /// Summaries of the given individuals (unknown ids are left out), each with up to
    /// `photoLimit` catalog photos and its confirmed sightings, newest first.
    public func individualSummaries(_ ids: [String], photoLimit: Int = 6) throws -> [String: IndividualSummary] {
        try database.pool.read { db in
            var out: [String: IndividualSummary] = [:]
            for id in Set(ids) {
                if let summary = try Self.summary(id, photoLimit: photoLimit, db) { out[id] = summary }
            }
            return out
        }
    }

    /// Individuals whose id or name contains `search` (all when empty), by id; at most `limit`.
    public func catalogIndividuals(search: String, limit: Int, photoLimit: Int = 6) throws -> (individuals: [IndividualSummary], total: Int) {
        try database.pool.read { db in
            let pattern = "%" + search.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            let filter = "merged_into IS NULL AND (id LIKE ? ESCAPE '\\' OR COALESCE(name, '') LIKE ? ESCAPE '\\')"
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM individual WHERE \(filter)", arguments: [pattern, pattern]) ?? 0
            let ids = try String.fetchAll(db, sql: "SELECT id FROM individual WHERE \(filter) ORDER BY is_provisional, id LIMIT ?",
                                          arguments: [pattern, pattern, limit])
            return (try ids.compactMap { try Self.summary($0, photoLimit: photoLimit, db) }, total)
        }
    }

    /// Every individual a reviewer can choose, as (id, name), by id.
    public func individualChoices() throws -> [(id: String, name: String?)] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM individual WHERE merged_into IS NULL ORDER BY id")
                .map { (id: $0["id"], name: $0["name"]) }
        }
    }

    private static func summary(_ id: String, photoLimit: Int, _ db: Database) throws -> IndividualSummary? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM individual WHERE id = ?", arguments: [id]) else { return nil }
        let photos = try Row.fetchAll(db, sql: "SELECT * FROM catalog_photo WHERE individual_id = ? ORDER BY id LIMIT ?",
                                      arguments: [id, photoLimit]).map(catalogPhoto)
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog_photo WHERE individual_id = ?", arguments: [id]) ?? 0
        let sightings = try Row.fetchAll(db, sql: """
            SELECT s.id, s.reviewed_by, p.captured_at, p.camera FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256
            WHERE s.individual_id = ? AND s.review_state = 'confirmed' ORDER BY p.captured_epoch DESC, s.id DESC
            """, arguments: [id]).map {
            IndividualSighting(sightingID: $0["id"], capturedAt: $0["captured_at"], camera: $0["camera"], reviewedBy: $0["reviewed_by"])
        }
        return IndividualSummary(id: row["id"], name: row["name"], isProvisional: row["is_provisional"], photoCount: count,
                                 photos: photos, sightings: sightings)
    }

    private static func catalogPhoto(_ row: Row) -> CatalogPhotoRef {
        CatalogPhotoRef(id: row["id"], individual: row["individual_id"], sha256: row["sha256"], sourcePath: row["source_path"],
                        crop: row["crop"] ?? "fluke")
    }
}
