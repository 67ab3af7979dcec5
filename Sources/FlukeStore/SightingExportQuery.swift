import FlukeCore
import Foundation
import GRDB

/// A sighting with everything an export writes about it: the photo's time and place, the
/// machine's call, and the review's outcome.
public struct ExportedSighting: Sendable, Equatable {
    public var id: Int64
    public var uuid: String
    public var photoSHA256: String
    public var path: String
    public var camera: String
    /// ISO 8601 with the camera's offset (`Z` when the camera recorded none).
    public var capturedAt: String
    public var capturedEpoch: Double
    public var captureTimeSource: String
    public var latitude: Double?
    public var longitude: Double?
    public var decision: String
    public var score: Double?
    public var candidates: [IdentificationRecord.Candidate]
    public var modelVersion: String?
    /// After review (the machine's best candidate while the sighting is open).
    public var individualID: String?
    public var individualName: String?
    public var individualIsProvisional: Bool
    public var reviewState: ReviewState
    public var reviewedBy: String?
    public var reviewedAt: Double?
    public var autoConfirmed: Bool
    public var rejectReason: String?
    /// When the station recorded the sighting (seconds since 1970).
    public var recordedAt: Double
}

extension StationQueries {
    /// Sightings captured in [since, until) — both optional — oldest capture first.
    public func exportedSightings(since: Date? = nil, until: Date? = nil) throws -> [ExportedSighting] {
        try database.pool.read { db in
            var conditions: [String] = []
            var args: StatementArguments = []
            if let since {
                conditions.append("p.captured_epoch >= ?")
                args += [since.timeIntervalSince1970]
            }
            if let until {
                conditions.append("p.captured_epoch < ?")
                args += [until.timeIntervalSince1970]
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.*, p.first_path, p.camera, p.captured_at, p.captured_epoch, p.capture_time_source,
                       p.latitude, p.longitude, i.name AS individual_name, i.is_provisional
                FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256
                LEFT JOIN individual i ON i.id = s.individual_id
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY p.captured_epoch, s.id
                """, arguments: args)
            return try rows.map { row in
                let candidates = try (row["candidates_json"] as String?).map {
                    try JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data($0.utf8))
                } ?? []
                return ExportedSighting(
                    id: row["id"], uuid: row["uuid"], photoSHA256: row["photo_sha256"], path: row["first_path"],
                    camera: row["camera"], capturedAt: row["captured_at"], capturedEpoch: row["captured_epoch"],
                    captureTimeSource: row["capture_time_source"], latitude: row["latitude"], longitude: row["longitude"],
                    decision: row["decision"], score: row["score"], candidates: candidates, modelVersion: row["model_version"],
                    individualID: row["individual_id"], individualName: row["individual_name"],
                    individualIsProvisional: (row["is_provisional"] as Bool?) ?? false,
                    reviewState: ReviewState(rawValue: row["review_state"]) ?? .open, reviewedBy: row["reviewed_by"],
                    reviewedAt: row["reviewed_at"], autoConfirmed: row["auto_confirmed"], rejectReason: row["reject_reason"],
                    recordedAt: row["created_at"])
            }
        }
    }
}
