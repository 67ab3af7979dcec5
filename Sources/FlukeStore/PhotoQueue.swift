import FlukeCore
import Foundation
import GRDB

/// A photo the processor has claimed: everything it needs to read and decode it.
public struct ClaimedPhoto: Sendable, Equatable {
    public var id: PhotoID
    public var camera: CameraLabel
    /// Every path the content was seen at, first first: if one is gone, another may do.
    public var paths: [String]
    /// Per path, the file as intake hashed it (absent: hash again before trusting the bytes).
    public var fingerprints: [String: FileFingerprint] = [:]
    public var header: ImageHeader?
    public var orientation: ImageOrientation
    public var attempts: Int
}

/// What identification concluded for a photo, recorded in its sighting.
public struct IdentificationRecord: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable, Codable {
        public var individual: String
        public var score: Double
        public init(individual: String, score: Double) {
            self.individual = individual
            self.score = score
        }
    }

    public var decision: SightingDecision
    /// Best-ranked individual (for `match` and `uncertain`; nil for `new`).
    public var individual: String?
    public var score: Double?
    /// The top candidates with their scores, best first.
    public var candidates: [Candidate]
    public var modelVersion: String
    /// The photo's own feature vector, kept so a review can add it to the catalog.
    public var feature: [Float]?
    public var crop: String
    /// The crop's local features (FlukeVision.LocalFeatures' blob), when verification ran.
    public var localFeatures: [UInt8]?
    /// 0...1 (`PhotoUsefulness.score`), and why the photo is unusable (empty: usable).
    public var usefulness: Double?
    public var unusableBecause: [String]

    public init(decision: SightingDecision, individual: String?, score: Double?, candidates: [Candidate],
                modelVersion: String, feature: [Float]?, crop: String, usefulness: Double? = nil,
                unusableBecause: [String] = []) {
        self.usefulness = usefulness
        self.unusableBecause = unusableBecause
        self.decision = decision
        self.individual = individual
        self.score = score
        self.candidates = candidates
        self.modelVersion = modelVersion
        self.feature = feature
        self.crop = crop
    }
}

/// The result of processing, recorded with the photo's move to `done`.
public struct ProcessedPhoto: Sendable {
    public var quality: QualityMeasures
    /// Relative to the state directory.
    public var thumbnailPath: String?
    /// Nil while the station has no catalog to identify against (decision: awaiting identification).
    public var identification: IdentificationRecord?

    public var decision: SightingDecision { identification?.decision ?? .awaitingIdentification }

    public init(quality: QualityMeasures, thumbnailPath: String?, identification: IdentificationRecord? = nil) {
        self.quality = quality
        self.thumbnailPath = thumbnailPath
        self.identification = identification
    }
}

/// The durable queue. Each move is one transaction; a claim is an UPDATE … RETURNING, so two
/// workers never take the same photo and a crash leaves at worst a `processing` row that
/// `requeueInterrupted` puts back.
public struct PhotoQueue: Sendable {
    let database: StationDatabase
    /// A photo whose processing was interrupted this many times is quarantined instead of
    /// retried forever (a photo that crashes the decoder must not crash-loop the station).
    public let maxAttempts: Int

    public init(database: StationDatabase, maxAttempts: Int = 3) {
        self.database = database
        self.maxAttempts = maxAttempts
    }

    /// Puts rows left in `processing` (by a crash, a kill or a watchdog restart) back in the queue.
    /// Returns how many were re-queued and how many were set aside for crashing too often.
    @discardableResult
    public func requeueInterrupted() throws -> (requeued: Int, setAside: Int) {
        try database.pool.write { db in
            let now = Date().timeIntervalSince1970
            let reason = QuarantineReason.crashedProcessor(attempts: maxAttempts)
            try db.execute(sql: """
                UPDATE photo SET state = 'quarantined', quarantine_code = ?, reason = ?, updated_at = ?
                WHERE state = 'processing' AND attempts >= ?
                """, arguments: [reason.code, reason.explanation, now, maxAttempts])
            let setAside = db.changesCount
            try db.execute(sql: "UPDATE photo SET state = 'queued', updated_at = ? WHERE state = 'processing'", arguments: [now])
            return (db.changesCount, setAside)
        }
    }

    /// Re-queues `processing` rows untouched for `seconds` (for a second process beside a
    /// running daemon, which must not take the daemon's in-flight photos).
    public func requeueStale(olderThan seconds: TimeInterval) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE photo SET state = 'queued' WHERE state = 'processing' AND updated_at < ?",
                           arguments: [Date().timeIntervalSince1970 - seconds])
        }
    }

    /// Takes the oldest queued photo, or nil when the queue is empty.
    public func claimNext() throws -> ClaimedPhoto? {
        try database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                UPDATE photo SET state = 'processing', attempts = attempts + 1, updated_at = ?
                WHERE sha256 = (SELECT sha256 FROM photo WHERE state = 'queued' ORDER BY queued_at, sha256 LIMIT 1)
                RETURNING sha256, camera, format, width, height, orientation, attempts
                """, arguments: [Date().timeIntervalSince1970]) else { return nil }
            let sha: String = row["sha256"]
            let files = try Row.fetchAll(db, sql: """
                SELECT path, byte_size, mtime_ns, device, inode, ctime_ns FROM photo_file WHERE photo_sha256 = ? ORDER BY id
                """, arguments: [sha])
            let paths = files.map { $0["path"] as String }
            var fingerprints: [String: FileFingerprint] = [:]
            for f in files {
                guard let device: Int64 = f["device"], let inode: Int64 = f["inode"], let ctime: Int64 = f["ctime_ns"] else { continue }
                fingerprints[f["path"]] = FileFingerprint(device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode),
                                                          byteSize: f["byte_size"], mtimeNanoseconds: f["mtime_ns"],
                                                          ctimeNanoseconds: ctime)
            }
            var header: ImageHeader?
            if let f: String = row["format"], let format = ImageFormat(rawValue: f), let w: Int = row["width"], let h: Int = row["height"] {
                header = ImageHeader(format: format, width: w, height: h)
            }
            return ClaimedPhoto(id: PhotoID(hex: sha)!, camera: CameraLabel(row["camera"]), paths: paths,
                                fingerprints: fingerprints, header: header,
                                orientation: ImageOrientation(rawValue: row["orientation"]) ?? .up,
                                attempts: row["attempts"])
        }
    }

    /// Marks a claimed photo done and writes its sighting, together. Returns the sighting id.
    @discardableResult
    public func complete(_ id: PhotoID, with result: ProcessedPhoto) throws -> Int64 {
        try database.pool.write { db in
            let now = Date().timeIntervalSince1970
            let q = result.quality
            try db.execute(sql: """
                UPDATE photo SET state = 'done', updated_at = ?, sharpness = ?, mean_luminance = ?,
                    clipped_highlights = ?, clipped_shadows = ?, thumbnail_path = ?, reason = NULL
                WHERE sha256 = ? AND state = 'processing'
                """, arguments: [now, q.sharpness, q.meanLuminance, q.clippedHighlights, q.clippedShadows,
                                 result.thumbnailPath, id.hex])
            guard db.changesCount == 1 else { throw StoreError.unknownPhoto(id.hex) }
            let ident = result.identification
            let candidates = try ident.map { String(decoding: try JSONEncoder().encode($0.candidates), as: UTF8.self) }
            if let ident, let known = ident.individual,
               try Bool.fetchOne(db, sql: "SELECT 1 FROM individual WHERE id = ?", arguments: [known]) != true {
                throw StoreError.unknownIndividual(known)
            }
            try db.execute(sql: """
                INSERT INTO sighting (uuid, photo_sha256, decision, individual_id, score, candidates_json, model_version,
                                      created_at, usefulness, unusable_because)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(photo_sha256) DO UPDATE SET decision = excluded.decision
                """, arguments: [UUID().uuidString.lowercased(), id.hex, result.decision.rawValue, ident?.individual,
                                 ident?.score, candidates, ident?.modelVersion, now, ident?.usefulness,
                                 ident.flatMap { $0.unusableBecause.isEmpty ? nil : $0.unusableBecause.joined(separator: "; ") }])
            if let ident, let feature = ident.feature {
                try db.execute(sql: """
                    INSERT INTO embedding (photo_sha256, model_version, dimension, vector, crop) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [id.hex, ident.modelVersion, feature.count, FloatBlob.encode(feature), ident.crop])
            }
            if let blob = ident?.localFeatures {
                try db.execute(sql: "INSERT OR REPLACE INTO sighting_local_features (photo_sha256, blob) VALUES (?, ?)",
                               arguments: [id.hex, Data(blob)])
            }
            return try Int64.fetchOne(db, sql: "SELECT id FROM sighting WHERE photo_sha256 = ?", arguments: [id.hex]) ?? 0
        }
    }

    public func quarantine(_ id: PhotoID, reason: QuarantineReason) throws {
        try finish(id, state: .quarantined, code: reason.code, reason: reason.explanation)
    }

    /// A photo that could not be processed for a reason outside the file (it vanished, the disk
    /// failed): recorded as failed with the reason.
    public func fail(_ id: PhotoID, reason: String) throws {
        try finish(id, state: .failed, code: nil, reason: reason)
    }

    /// Puts a claimed photo back (a graceful stop caught it mid-way), without counting the attempt.
    public func release(_ id: PhotoID) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                UPDATE photo SET state = 'queued', attempts = MAX(attempts - 1, 0), updated_at = ?
                WHERE sha256 = ? AND state = 'processing'
                """, arguments: [Date().timeIntervalSince1970, id.hex])
        }
    }

    private func finish(_ id: PhotoID, state: PhotoState, code: String?, reason: String) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                UPDATE photo SET state = ?, quarantine_code = ?, reason = ?, updated_at = ?
                WHERE sha256 = ? AND state = 'processing'
                """, arguments: [state.rawValue, code, reason, Date().timeIntervalSince1970, id.hex])
        }
    }
}
