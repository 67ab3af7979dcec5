import FlukeCore
import Foundation
import GRDB

/// Groups sightings into encounters — one camera's photos taken less than `gap` seconds apart,
/// chained, as a burst while a fluke rises — and keeps each encounter's combined call.
public struct EncounterStore: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    /// One identified photo of an encounter, as the combined call needs it.
    public struct Member: Sendable {
        public var sightingID: Int64
        /// The photo's raw feature vector for the encounter's model version (nil: not identified
        /// with that model).
        public var feature: [Float]?
        /// False when the usefulness rules found the photo unusable.
        public var usable: Bool
        /// The photo's local features, for verifying it again against the current catalog.
        public var localFeatures: [UInt8]?
    }

    /// The encounter's call: the same fields a sighting has, plus how many photos it rests on.
    public struct Call: Sendable, Equatable {
        public var decision: SightingDecision
        public var individual: String?
        public var score: Double?
        public var candidates: [IdentificationRecord.Candidate]
        public var photos: Int
        public var usablePhotos: Int
        public var modelVersion: String

        public init(decision: SightingDecision, individual: String?, score: Double?,
                    candidates: [IdentificationRecord.Candidate], photos: Int, usablePhotos: Int, modelVersion: String) {
            self.decision = decision
            self.individual = individual
            self.score = score
            self.candidates = candidates
            self.photos = photos
            self.usablePhotos = usablePhotos
            self.modelVersion = modelVersion
        }
    }

    /// Puts the sighting into its camera's encounter (a new one, the one it extends, or — when the
    /// photo bridges two — the two merged), asks `decide` for the encounter's call from all its
    /// members, and stores it. `decide` (ranking and verifying the photos: milliseconds) runs
    /// outside the write, so intake and the other workers are not held up; the call is stored only
    /// if the encounter still has exactly the members it was made from. When two workers finish
    /// photos of one burst at once, the one that saw both photos stores its call and the other's
    /// narrower call is dropped.
    @discardableResult
    public func assign(sightingID: Int64, gap: TimeInterval, modelVersion: String,
                       decide: ([Member]) throws -> Call?) throws -> (encounterID: Int64, call: Call?) {
        let (id, members) = try join(sightingID: sightingID, gap: gap, modelVersion: modelVersion)
        let call = try decide(members)
        let candidates = try call.map { String(decoding: try JSONEncoder().encode($0.candidates), as: UTF8.self) }
        try database.pool.write { db in
            // Members are only ever added (a photo joins, or a bridging photo merges another
            // encounter in), so the same count means the same members.
            try db.execute(sql: """
                UPDATE encounter SET decision = ?, individual_id = ?, score = ?, candidates_json = ?, photos = ?,
                    usable_photos = ?, model_version = ?, updated_at = ?
                WHERE id = ? AND (SELECT COUNT(*) FROM sighting WHERE encounter_id = ?) = ?
                """, arguments: [call?.decision.rawValue, call?.individual, call?.score, candidates, members.count,
                                 call?.usablePhotos ?? 0, call?.modelVersion, Date().timeIntervalSince1970, id, id, members.count])
        }
        return (id, call)
    }

    /// The membership half of `assign`, in one write: the encounter the sighting now belongs to and
    /// its members as the call needs them.
    private func join(sightingID: Int64, gap: TimeInterval, modelVersion: String) throws -> (Int64, [Member]) {
        try database.pool.write { db in
            guard let photo = try Row.fetchOne(db, sql: """
                SELECT p.camera, p.captured_epoch FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256 WHERE s.id = ?
                """, arguments: [sightingID]) else { throw StoreError.unknownSighting(sightingID) }
            let camera: String = photo["camera"], epoch: Double = photo["captured_epoch"]
            let touching = try Row.fetchAll(db, sql: """
                SELECT id, started_epoch, ended_epoch FROM encounter
                WHERE camera = ? AND started_epoch - ? <= ? AND ended_epoch + ? >= ? ORDER BY id
                """, arguments: [camera, gap, epoch, gap, epoch])
            let id: Int64
            if let first = touching.first {
                id = first["id"]
                var start = epoch, end = epoch
                for row in touching {
                    start = min(start, row["started_epoch"])
                    end = max(end, row["ended_epoch"])
                    let other: Int64 = row["id"]
                    guard other != id else { continue }
                    try db.execute(sql: "UPDATE sighting SET encounter_id = ? WHERE encounter_id = ?", arguments: [id, other])
                    try db.execute(sql: "DELETE FROM encounter WHERE id = ?", arguments: [other])
                }
                try db.execute(sql: "UPDATE encounter SET started_epoch = ?, ended_epoch = ? WHERE id = ?",
                               arguments: [start, end, id])
            } else {
                try db.execute(sql: "INSERT INTO encounter (camera, started_epoch, ended_epoch) VALUES (?, ?, ?)",
                               arguments: [camera, epoch, epoch])
                id = db.lastInsertedRowID
            }
            try db.execute(sql: "UPDATE sighting SET encounter_id = ? WHERE id = ?", arguments: [id, sightingID])
            let members = try Row.fetchAll(db, sql: """
                SELECT s.id, s.unusable_because, e.vector, l.blob FROM sighting s
                LEFT JOIN embedding e ON e.photo_sha256 = s.photo_sha256 AND e.model_version = ?
                LEFT JOIN sighting_local_features l ON l.photo_sha256 = s.photo_sha256
                WHERE s.encounter_id = ? ORDER BY s.id
                """, arguments: [modelVersion, id]).map { row in
                Member(sightingID: row["id"], feature: (row["vector"] as Data?).map(FloatBlob.decode),
                       usable: (row["unusable_because"] as String?) == nil,
                       localFeatures: (row["blob"] as Data?).map { [UInt8]($0) })
            }
            return (id, members)
        }
    }

    /// Every encounter, in capture order, with its call and its sightings' ids.
    public func list() throws -> [EncounterListing] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM encounter ORDER BY started_epoch, id").map { row in
                let id: Int64 = row["id"]
                let candidates = (row["candidates_json"] as String?).flatMap {
                    try? JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data($0.utf8))
                }
                return EncounterListing(
                    id: id, camera: row["camera"], startedEpoch: row["started_epoch"], endedEpoch: row["ended_epoch"],
                    decision: row["decision"], individual: row["individual_id"], score: row["score"],
                    candidates: candidates ?? [], photos: row["photos"], usablePhotos: row["usable_photos"],
                    modelVersion: row["model_version"],
                    sightings: try Int64.fetchAll(db, sql: "SELECT id FROM sighting WHERE encounter_id = ? ORDER BY id",
                                                  arguments: [id]))
            }
        }
    }
}

/// One encounter as `flukewatch encounters` lists it.
public struct EncounterListing: Codable, Sendable {
    public var id: Int64
    public var camera: String
    public var startedEpoch: Double
    public var endedEpoch: Double
    public var decision: String?
    public var individual: String?
    public var score: Double?
    public var candidates: [IdentificationRecord.Candidate]
    public var photos: Int
    public var usablePhotos: Int
    public var modelVersion: String?
    public var sightings: [Int64]

    enum CodingKeys: String, CodingKey {
        case id, camera, decision, individual, score, candidates, photos, sightings
        case startedEpoch = "started_epoch", endedEpoch = "ended_epoch", usablePhotos = "usable_photos"
        case modelVersion = "model_version"
    }
}
