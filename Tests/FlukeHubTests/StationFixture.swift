import FlukeCore
import FlukeStore
import Foundation
import GRDB

/// A station database in a temp folder with sightings written through the same intake, queue
/// and review log the daemon uses, thumbnails on disk, and a config pointing at a hub.
final class TestStation {
    let id: String
    let root: URL
    let database: StationDatabase
    var state: String { root.appendingPathComponent("state").path }
    var configPath: String { root.appendingPathComponent("flukewatch.toml").path }
    private var photos = 0

    init(_ id: String) throws {
        self.id = id
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(id)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("state/thumbnails").path, withIntermediateDirectories: true)
        database = try StationDatabase(path: root.appendingPathComponent("state/flukewatch.sqlite").path)
        // One known whale, as an imported catalog would have it, for matches to name.
        try database.pool.write { db in
            try db.execute(sql: "INSERT INTO individual (id, name, is_provisional, created_at) VALUES ('HW-1', 'Salt', 0, 0)")
        }
    }

    func writeConfig(hubURL: String, token: String, maxBytesPerRound: Int = 1 << 20, batchItems: Int = 200) throws {
        try """
            [station]
            id = "\(id)"
            [storage]
            state_dir = "\(state)"
            [hub]
            url = "\(hubURL)"
            token = "\(token)"
            max_bytes_per_round = \(maxBytesPerRound)
            batch_items = \(batchItems)
            interval_seconds = 1
            retry_min_seconds = 0.1
            retry_max_seconds = 0.5
            timeout_seconds = 5
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// `count` sightings, a third of them marked as new individuals and the rest confirmed as
    /// HW-1 (once synced: a sighting and a decision each, plus a candidate per new individual).
    func addReviewedSightings(_ count: Int) throws {
        var rng = SystemRandomNumberGenerator()
        for i in 0..<count {
            let s = try addSighting(decision: i % 3 == 0 ? .new : .match, feature: Vectors.random(64, seed: &rng),
                                    candidates: i % 3 == 0 ? [] : [("HW-1", 0.9)])
            if i % 3 == 0 { _ = try newIndividual(s) } else { try confirm(s) }
        }
    }

    /// A processed photo with a sighting, an embedding and a thumbnail; returns the sighting's row id.
    func addSighting(decision: SightingDecision, feature: [Float], candidates: [(String, Double)] = []) throws -> Int64 {
        photos += 1
        let n = photos
        var digest = Array(id.utf8.prefix(16))
        digest += [UInt8](repeating: 0, count: 32 - digest.count - 2) + [UInt8(n >> 8), UInt8(n & 255)]
        let photo = PhotoID(digest: digest)
        let intake = PhotoIntake(
            id: photo,
            file: FileObservation(path: "/drop/\(id)/IMG_\(n).JPG", camera: "bow", byteSize: 5000 + n, mtimeNanoseconds: Int64(n)),
            metadata: PhotoMetadata(captureTime: CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400 + Double(n) * 60),
                                                             utcOffsetSeconds: -10800, source: .exif),
                                    position: GeoPosition(latitude: -23.8, longitude: -45.3)),
            verdict: .image(ImageHeader(format: .jpeg, width: 4000, height: 3000)))
        _ = try IntakeLog(database: database).record(intake)
        let queue = PhotoQueue(database: database)
        guard let claimed = try queue.claimNext() else { throw NSError(domain: "fixture", code: 1) }
        // A thumbnail that is a JPEG as far as the hub checks (SOI marker), distinct per photo.
        let thumbnail = root.appendingPathComponent("state/thumbnails/\(photo.hex).jpg").path
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0]
        var rng = SystemRandomNumberGenerator()
        bytes += (0..<3000).map { _ in UInt8.random(in: 0...255, using: &rng) } + [0xFF, 0xD9]
        try Data(bytes).write(to: URL(fileURLWithPath: thumbnail))
        let record = IdentificationRecord(
            decision: decision, individual: decision == .new ? nil : candidates.first?.0, score: candidates.first?.1,
            candidates: candidates.map { .init(individual: $0.0, score: $0.1) }, modelVersion: "test-model-1",
            feature: feature, crop: "fluke")
        let quality = QualityMeasures(sharpness: 500, meanLuminance: 100, clippedHighlights: 0, clippedShadows: 0, width: 4000, height: 3000)
        return try queue.complete(claimed.id, with: ProcessedPhoto(quality: quality, thumbnailPath: thumbnail, identification: record))
    }

    func newIndividual(_ sighting: Int64, name: String? = nil) throws -> String {
        try ReviewLog(database: database).decide("\(sighting)", .newIndividual(name: name, idPrefix: "P-\(id)-"), reviewer: "ana")
            .createdIndividual!
    }

    func confirm(_ sighting: Int64) throws {
        _ = try ReviewLog(database: database).decide("\(sighting)", .confirm(individual: nil), reviewer: "ana")
    }

    func individual(ofSighting sighting: Int64) throws -> String? {
        try database.pool.read { try String.fetchOne($0, sql: "SELECT individual_id FROM sighting WHERE id = ?", arguments: [sighting]) }
    }

    func syncItems() throws -> [String] {
        try database.pool.read { try String.fetchAll($0, sql: "SELECT item_id FROM sync_item ORDER BY id") }
    }
}

/// A random unit-ish vector, and one close to it.
enum Vectors {
    static func random(_ n: Int, seed: inout SystemRandomNumberGenerator) -> [Float] {
        (0..<n).map { _ in Float.random(in: -1...1, using: &seed) }
    }
    static func near(_ v: [Float], noise: Float = 0.05) -> [Float] {
        var rng = SystemRandomNumberGenerator()
        return v.map { $0 + Float.random(in: -noise...noise, using: &rng) }
    }
}
