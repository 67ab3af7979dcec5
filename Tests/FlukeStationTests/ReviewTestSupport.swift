import FlukeCore
import FlukeStore
import Foundation
import GRDB
import XCTest

/// A station database with a small catalog and four identified sightings, written through the
/// same intake, queue and completion the daemon uses, for the review and export commands.
struct ReviewedStation {
    let station: TempStation
    let database: StationDatabase
    /// Sighting ids: a confident match of Salt, an uncertain Pepper, a new whale, a match of Pepper.
    let match: Int64, uncertain: Int64, new: Int64, secondMatch: Int64

    /// Photo n is captured at 2026-07-14T09:00-03:00 plus n hours, off Ilhabela.
    static func capture(_ n: Int) -> CaptureTime {
        CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400 + Double(n) * 3600), utcOffsetSeconds: -10800, source: .exif)
    }

    init(_ name: String) throws {
        station = try TempStation(name)
        try FileManager.default.createDirectory(atPath: station.state, withIntermediateDirectories: true)
        database = try station.database()
        try database.pool.write { db in
            for (id, name) in [("HW-1", "Salt"), ("HW-2", "Pepper")] {
                try db.execute(sql: "INSERT INTO individual (id, name, is_provisional, created_at) VALUES (?, ?, 0, 0)",
                               arguments: [id, name])
            }
        }
        match = try Self.sighting(1, .match, [("HW-1", 0.95), ("HW-2", 0.31)], database)
        uncertain = try Self.sighting(2, .uncertain, [("HW-2", 0.70), ("HW-1", 0.62)], database)
        new = try Self.sighting(3, .new, [("HW-1", 0.21)], database)
        secondMatch = try Self.sighting(4, .match, [("HW-2", 0.88)], database)
    }

    private static func sighting(_ n: Int, _ decision: SightingDecision, _ candidates: [(String, Double)],
                                 _ database: StationDatabase) throws -> Int64 {
        let id = PhotoID(digest: [UInt8](repeating: UInt8(n), count: 32))
        let intake = PhotoIntake(
            id: id,
            file: FileObservation(path: "/drop/bow/IMG_000\(n).JPG", camera: "bow", byteSize: 4000 + n, mtimeNanoseconds: Int64(n)),
            metadata: PhotoMetadata(captureTime: capture(n), position: GeoPosition(latitude: -23.8 - Double(n) / 100, longitude: -45.3)),
            verdict: .image(ImageHeader(format: .jpeg, width: 4000, height: 3000)))
        _ = try IntakeLog(database: database).record(intake)
        let queue = PhotoQueue(database: database)
        guard let claimed = try queue.claimNext() else { throw NSError(domain: "fixture", code: 1) }
        let record = IdentificationRecord(
            decision: decision, individual: decision == .new ? nil : candidates.first?.0, score: candidates.first?.1,
            candidates: candidates.map { .init(individual: $0.0, score: $0.1) }, modelVersion: "test-model-1",
            feature: nil, crop: "fluke")
        let quality = QualityMeasures(sharpness: 500, meanLuminance: 100, clippedHighlights: 0, clippedShadows: 0, width: 4000, height: 3000)
        return try queue.complete(claimed.id, with: ProcessedPhoto(quality: quality, thumbnailPath: nil, identification: record))
    }

    var stateArguments: [String] { ["--state-dir", station.state] }

    /// Groups the sightings into one encounter (they are an hour apart: the gap is two hours)
    /// whose combined call names `call`; returns the encounter's number.
    func encounter(_ sightings: [Int64], call: String?) throws -> Int64 {
        var id: Int64 = 0
        for sighting in sightings {
            id = try EncounterStore(database: database).assign(sightingID: sighting, gap: 7200, modelVersion: "test-model-1") { members in
                call.map {
                    EncounterStore.Call(decision: .uncertain, individual: $0, score: 0.6, candidates: [.init(individual: $0, score: 0.6)],
                                        photos: members.count, usablePhotos: members.count, modelVersion: "test-model-1")
                }
            }.encounterID
        }
        return id
    }

    func row(_ sighting: Int64) throws -> Row {
        try database.pool.read { try Row.fetchOne($0, sql: "SELECT * FROM sighting WHERE id = ?", arguments: [sighting])! }
    }

    func outboxKinds() throws -> [String] {
        try database.pool.read { try String.fetchAll($0, sql: "SELECT kind FROM sync_outbox ORDER BY id") }
    }

    func decisions() throws -> [Row] {
        try database.pool.read { try Row.fetchAll($0, sql: "SELECT * FROM review_decision ORDER BY id") }
    }
}
