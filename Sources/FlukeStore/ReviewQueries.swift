import FlukeCore
import Foundation
import GRDB

/// One sighting as `flukewatch review list` shows it. JSON field names are a contract.
public struct ReviewListing: Codable, Sendable {
    public struct Candidate: Codable, Sendable, Equatable {
        public var individual: String
        public var name: String?
        public var score: Double
    }

    public var id: Int64
    public var uuid: String
    /// The machine's call: uncertain, new, match or awaiting-identification.
    public var decision: String
    public var reviewState: String
    public var individual: String?
    public var individualName: String?
    public var score: Double?
    public var candidates: [Candidate]
    public var camera: String
    public var path: String
    public var capturedAt: String
    public var thumbnail: String?
    public var modelVersion: String?
    public var reviewedBy: String?
    public var rejectReason: String?

    enum CodingKeys: String, CodingKey {
        case id, uuid, decision, individual, score, candidates, camera, path, thumbnail
        case reviewState = "review_state", individualName = "individual_name", capturedAt = "captured_at"
        case modelVersion = "model_version", reviewedBy = "reviewed_by", rejectReason = "reject_reason"
    }
}

extension StationQueries {
    /// Sightings waiting for a person: uncertain matches first, then new-individual candidates,
    /// then confident matches, then photos not identified yet; oldest capture first within each.
    /// With `includeDecided`, confirmed and rejected sightings follow in the same order.
    public func reviewQueue(includeDecided: Bool = false) throws -> [ReviewListing] {
        try database.pool.read { db in
            let names = try Dictionary(Row.fetchAll(db, sql: "SELECT id, name FROM individual WHERE name IS NOT NULL")
                .map { (row: Row) -> (String, String) in (row["id"], row["name"]) }, uniquingKeysWith: { a, _ in a })
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.*, p.camera, p.first_path, p.captured_at, p.thumbnail_path
                FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256
                \(includeDecided ? "" : "WHERE s.review_state = 'open'")
                ORDER BY s.review_state <> 'open',
                    CASE s.decision WHEN 'uncertain' THEN 0 WHEN 'new' THEN 1 WHEN 'match' THEN 2 ELSE 3 END,
                    p.captured_epoch, s.id
                """)
            return try rows.map { row in
                let candidates = try (row["candidates_json"] as String?).map {
                    try JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data($0.utf8))
                } ?? []
                let individual: String? = row["individual_id"]
                return ReviewListing(
                    id: row["id"], uuid: row["uuid"], decision: row["decision"], reviewState: row["review_state"],
                    individual: individual, individualName: individual.flatMap { names[$0] }, score: row["score"],
                    candidates: candidates.map { .init(individual: $0.individual, name: names[$0.individual], score: $0.score) },
                    camera: row["camera"], path: row["first_path"], capturedAt: row["captured_at"],
                    thumbnail: row["thumbnail_path"], modelVersion: row["model_version"],
                    reviewedBy: row["reviewed_by"], rejectReason: row["reject_reason"])
            }
        }
    }
}
