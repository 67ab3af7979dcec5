import FlukeCore
import FlukeStore
import Foundation
import Logging

/// `flukewatch ingest`: one-shot intake of files or folders (a card offloaded by hand) through
/// the same intake and processing as the daemon, then processing of everything queued.
public struct ManualIngest: Sendable {
    public struct Summary: Codable, Sendable, Equatable {
        public var files = 0
        public var queued = 0
        public var duplicates = 0
        public var quarantined = 0
        public var sidecars = 0
        public var alreadyRecorded = 0
        public var ignored = 0
        public var unreadable = 0
        public var processed = 0
        public var failed = 0

        enum CodingKeys: String, CodingKey {
            case files, queued, duplicates, quarantined, sidecars, ignored, unreadable, processed, failed
            case alreadyRecorded = "already_recorded"
        }
    }

    public enum Phase: String, Sendable { case intake, processing }

    let config: StationConfig
    let database: StationDatabase
    let logger: Logger

    public init(config: StationConfig, database: StationDatabase, logger: Logger) {
        self.config = config
        self.database = database
        self.logger = logger
    }

    public func run(paths: [String], camera: CameraLabel,
                    progress: (Phase, Int, Int) -> Void = { _, _, _ in }) throws -> Summary {
        var summary = Summary()
        var files: [String] = []
        for path in paths {
            let absolute = ConfigResolver.absolute(path)
            guard let snap = FileSnapshot.of(absolute) else {
                throw StationError.noSuchPath(absolute)
            }
            files += snap.isDirectory ? DropFolderScanner.files(in: absolute, recursive: true) : [absolute]
        }
        let intaker = PhotoIntaker(log: IntakeLog(database: database), maxPixels: config.maxPixels)
        for (i, file) in files.enumerated() {
            try take(file, camera: camera, intaker, &summary)
            progress(.intake, i + 1, files.count)
        }

        let queue = PhotoQueue(database: database)
        // Ingest runs beside a possibly running daemon: it must not take the daemon's in-flight
        // photos, so it only re-queues those nobody has touched for ten minutes.
        try queue.requeueStale(olderThan: 600)
        let processor = PhotoProcessor(queue: queue, config: config)
        let identification = PipelineService.loadIdentification(config: config, database: database, logger: logger)
        let identifying = try identification.map { PhotoProcessor.Identifying(service: $0, extractor: try $0.makeExtractor()) }
        let toProcess = try StationQueries(database: database).status().photos.queued
        var done = 0
        while let photo = try queue.claimNext() {
            switch try processor.process(photo, identifying: identifying) {
            case .done: summary.processed += 1
            case .quarantined(let reason):
                summary.quarantined += 1
                logger.warning("quarantined \(photo.paths.first ?? photo.id.hex): \(reason.explanation)",
                               metadata: [Logger.eventKey: "quarantine", "photo_sha256": "\(photo.id.hex)"])
            case .failed(let reason):
                summary.failed += 1
                logger.error("\(reason)", metadata: [Logger.eventKey: "failed", "photo_sha256": "\(photo.id.hex)"])
            }
            done += 1
            progress(.processing, done, max(done, toProcess))
        }
        return summary
    }

    private func take(_ file: String, camera: CameraLabel, _ intaker: PhotoIntaker, _ s: inout Summary) throws {
        // A file still being copied is waited for a little; ingest is for finished cards.
        for attempt in 0..<20 {
            let result = try intaker.take(path: file, camera: camera)
            if result == .notReady, attempt < 19 {
                Thread.sleep(forTimeInterval: 0.25)
                continue
            }
            switch result {
            case .recorded(.queued, _): s.files += 1; s.queued += 1
            case .recorded(.duplicate, _): s.files += 1; s.duplicates += 1
            case .recorded(.quarantined(let reason), _):
                s.files += 1
                s.quarantined += 1
                logger.warning("quarantined \(file): \(reason.explanation)", metadata: [Logger.eventKey: "quarantine", "photo_path": "\(file)"])
            case .recorded(.alreadyRecorded, _), .unchanged: s.files += 1; s.alreadyRecorded += 1
            case .sidecar: s.files += 1; s.sidecars += 1
            case .ignored: s.ignored += 1
            case .unreadable(let why):
                s.files += 1
                s.unreadable += 1
                logger.error("cannot read \(file): \(why)", metadata: [Logger.eventKey: "quarantine", "photo_path": "\(file)"])
            case .notReady:
                logger.warning("\(file) kept changing while it was read; skipped (run ingest again once the copy has finished)")
            case .vanished: s.ignored += 1
            }
            return
        }
    }
}
