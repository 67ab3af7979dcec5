import FlukeCore
import Foundation
import GRDB

/// One file as intake saw it in a drop folder.
public struct FileObservation: Sendable, Equatable {
    public var path: String
    public var camera: CameraLabel
    public var byteSize: Int
    public var mtimeNanoseconds: Int64
    public var seenAt: Date
    /// The file as it was when its bytes were hashed (nil: not known, e.g. a sidecar).
    public var fingerprint: FileFingerprint?

    public init(path: String, camera: CameraLabel, byteSize: Int, mtimeNanoseconds: Int64, seenAt: Date = Date(),
                fingerprint: FileFingerprint? = nil) {
        self.path = path
        self.camera = camera
        self.byteSize = byteSize
        self.mtimeNanoseconds = mtimeNanoseconds
        self.seenAt = seenAt
        self.fingerprint = fingerprint
    }

    public var directory: String { (path as NSString).deletingLastPathComponent }
    public var fileName: String { (path as NSString).lastPathComponent }
    public var stem: String { FileKind.stem(of: fileName) }
}

/// What intake learned about a photo file's content before queueing it.
public struct PhotoIntake: Sendable {
    public enum Verdict: Sendable, Equatable {
        /// A whole image: queue it for processing.
        case image(ImageHeader)
        /// Set aside with a reason (the header may be known when the damage is further in).
        case quarantine(QuarantineReason, header: ImageHeader?)
    }

    public var id: PhotoID
    public var file: FileObservation
    public var metadata: PhotoMetadata
    public var verdict: Verdict

    public init(id: PhotoID, file: FileObservation, metadata: PhotoMetadata, verdict: Verdict) {
        self.id = id
        self.file = file
        self.metadata = metadata
        self.verdict = verdict
    }
}

/// What recording a file did.
public enum IntakeOutcome: Sendable, Equatable {
    case queued
    case quarantined(QuarantineReason)
    /// The same bytes were already recorded from another path.
    case duplicate(of: String)
    /// This very file (path and content) was recorded before; nothing changed.
    case alreadyRecorded
}

/// The write side of intake: every file observation becomes rows in one transaction, so a crash
/// either records a file completely or not at all (and the next rescan finds it again).
public struct IntakeLog: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    /// True when `path` was recorded with this exact size and modification time: the rescan can
    /// skip it without reading a byte.
    public func isRecordedUnchanged(path: String, byteSize: Int, mtimeNanoseconds: Int64) throws -> Bool {
        try database.pool.read { db in
            let args: StatementArguments = [path, byteSize, mtimeNanoseconds]
            if try Bool.fetchOne(db, sql: """
                SELECT 1 FROM photo_file WHERE path = ? AND byte_size = ? AND mtime_ns = ?
                ORDER BY id DESC LIMIT 1
                """, arguments: args) == true { return true }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM sidecar WHERE path = ? AND byte_size = ? AND mtime_ns = ?",
                                 arguments: args) == true { return true }
            return try Bool.fetchOne(db, sql: "SELECT 1 FROM unreadable_file WHERE path = ? AND byte_size = ? AND mtime_ns = ?",
                                     arguments: args) == true
        }
    }

    /// Records a photo file; new content is queued (or quarantined), known content is a duplicate.
    public func record(_ intake: PhotoIntake) throws -> IntakeOutcome {
        try database.pool.write { db in
            let sha = intake.id.hex
            let f = intake.file
            try db.execute(sql: "DELETE FROM unreadable_file WHERE path = ?", arguments: [f.path])
            if let firstPath = try String.fetchOne(db, sql: "SELECT first_path FROM photo WHERE sha256 = ?", arguments: [sha]) {
                let sameFile = try Bool.fetchOne(db, sql: "SELECT 1 FROM photo_file WHERE path = ? AND photo_sha256 = ?",
                                                 arguments: [f.path, sha]) == true
                if sameFile {
                    try db.execute(sql: """
                        UPDATE photo_file SET byte_size = ?, mtime_ns = ?, device = ?, inode = ?, ctime_ns = ?
                        WHERE path = ? AND photo_sha256 = ?
                        """, arguments: [f.byteSize, f.mtimeNanoseconds, f.fingerprint.map { Int64(bitPattern: $0.device) },
                                         f.fingerprint.map { Int64(bitPattern: $0.inode) }, f.fingerprint?.ctimeNanoseconds,
                                         f.path, sha])
                    return .alreadyRecorded
                }
                try insertFile(db, f, sha: sha, duplicate: true)
                return .duplicate(of: firstPath)
            }
            try insertPhoto(db, intake)
            try insertFile(db, f, sha: sha, duplicate: false)
            switch intake.verdict {
            case .image: return .queued
            case .quarantine(let reason, _): return .quarantined(reason)
            }
        }
    }

    /// Records a RAW file; it is linked to the photo with the same folder and stem when listed.
    public func recordSidecar(_ file: FileObservation, format: String) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO sidecar (path, directory, stem, format, byte_size, mtime_ns, seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET byte_size = excluded.byte_size, mtime_ns = excluded.mtime_ns
                """, arguments: [file.path, file.directory, file.stem, format.lowercased(), file.byteSize,
                                 file.mtimeNanoseconds, file.seenAt.timeIntervalSince1970])
        }
    }

    /// Records a file that exists but cannot be read (permissions, I/O error). It is retried when
    /// its size or modification time changes, or at the next start.
    public func recordUnreadable(_ file: FileObservation, reason: String) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO unreadable_file (path, camera, reason, byte_size, mtime_ns, seen_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, byte_size = excluded.byte_size,
                    mtime_ns = excluded.mtime_ns, seen_at = excluded.seen_at
                """, arguments: [file.path, file.camera.value, reason, file.byteSize, file.mtimeNanoseconds,
                                 file.seenAt.timeIntervalSince1970])
        }
    }

    private func insertFile(_ db: Database, _ f: FileObservation, sha: String, duplicate: Bool) throws {
        try db.execute(sql: """
            INSERT INTO photo_file (path, photo_sha256, camera, directory, stem, byte_size, mtime_ns, seen_at, is_duplicate,
                                    device, inode, ctime_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [f.path, sha, f.camera.value, f.directory, f.stem, f.byteSize, f.mtimeNanoseconds,
                             f.seenAt.timeIntervalSince1970, duplicate, f.fingerprint.map { Int64(bitPattern: $0.device) },
                             f.fingerprint.map { Int64(bitPattern: $0.inode) }, f.fingerprint?.ctimeNanoseconds])
    }

    private func insertPhoto(_ db: Database, _ p: PhotoIntake) throws {
        let m = p.metadata
        let now = p.file.seenAt.timeIntervalSince1970
        let header: ImageHeader?
        let state: PhotoState
        var code: String?
        var reason: String?
        switch p.verdict {
        case .image(let h):
            header = h
            state = .queued
        case .quarantine(let r, let h):
            header = h
            state = .quarantined
            code = r.code
            reason = r.explanation
        }
        try db.execute(sql: """
            INSERT INTO photo (sha256, state, format, width, height, byte_size, first_path, camera,
                captured_at, captured_epoch, capture_time_source, utc_offset_seconds, latitude, longitude, altitude,
                camera_make, camera_model, camera_serial, orientation, queued_at, updated_at, quarantine_code, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                p.id.hex, state.rawValue, header?.format.rawValue, header?.width, header?.height, p.file.byteSize,
                p.file.path, p.file.camera.value, m.captureTime.iso8601, m.captureTime.date.timeIntervalSince1970,
                m.captureTime.source.rawValue, m.captureTime.utcOffsetSeconds, m.position?.latitude,
                m.position?.longitude, m.position?.altitudeMeters, m.cameraMake, m.cameraModel, m.cameraSerial,
                m.orientation.rawValue, now, now, code, reason,
            ])
    }
}
