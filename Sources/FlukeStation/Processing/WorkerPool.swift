import FlukeCore
import FlukeStore
import Foundation
import Logging
import Synchronization

/// Runs `count` processor threads. Each claims a photo, processes it and records the result;
/// with an empty queue it sleeps until intake signals new work. On stop, each finishes the photo
/// in hand (a graceful stop never abandons a claimed photo half-way).
final class WorkerPool: @unchecked Sendable {
    struct Progress: Sendable {
        var processed = 0
        var lastSightingAt: Date?
        /// When each worker started its current photo, and which (nil: idle) — the watchdog's evidence.
        var busy: [(since: Date, photo: PhotoID?)?]
    }

    private let processor: PhotoProcessor
    private let queue: PhotoQueue
    private let signal: WorkSignal
    private let logger: Logger
    private let count: Int
    private let identification: IdentificationService?
    private let stopRequested = Atomic<Bool>(false)
    private let done = DispatchGroup()
    let progress: Mutex<Progress>

    init(count: Int, processor: PhotoProcessor, queue: PhotoQueue, signal: WorkSignal, logger: Logger,
         identification: IdentificationService? = nil) {
        self.count = count
        self.identification = identification
        self.processor = processor
        self.queue = queue
        self.signal = signal
        self.logger = logger
        self.progress = Mutex(Progress(busy: Array(repeating: nil, count: count)))
    }

    func start() {
        for index in 0..<count {
            done.enter()
            let t = Thread { [self] in
                work(index)
                done.leave()
            }
            t.name = "flukewatch-worker-\(index)"
            t.start()
        }
    }

    func stop() {
        stopRequested.store(true, ordering: .releasing)
        signal.notify()
        done.wait()
    }

    private func work(_ index: Int) {
        // Each worker owns its network runtime (XNNPACK runtimes are not shared between threads).
        var identifying: PhotoProcessor.Identifying?
        if let identification {
            do {
                identifying = .init(service: identification, extractor: try identification.makeExtractor())
            } catch {
                logger.error("worker \(index) cannot load the embedding model: \(error); its photos are logged as awaiting identification")
            }
        }
        while !stopRequested.load(ordering: .acquiring) {
            if identification?.isHoldingForModelChange == true {
                signal.wait(timeout: 1)
                continue
            }
            let claimed: ClaimedPhoto?
            do {
                claimed = try queue.claimNext()
            } catch {
                logger.error("cannot claim the next photo from the station database: \(error); retrying in 5 s")
                signal.wait(timeout: 5)
                continue
            }
            guard let photo = claimed else {
                signal.wait(timeout: 1)
                continue
            }
            progress.withLock { $0.busy[index] = (Date(), photo.id) }
            handle(photo, identifying)
            progress.withLock { $0.busy[index] = nil }
        }
    }

    private func handle(_ photo: ClaimedPhoto, _ identifying: PhotoProcessor.Identifying?) {
        var meta: Logger.Metadata = ["photo_sha256": "\(photo.id.hex)", "camera": "\(photo.camera)",
                                     "photo_path": "\(photo.paths.first ?? "")"]
        do {
            switch try processor.process(photo, identifying: identifying) {
            case .done(let sightingID, let quality, let identification, let encounter):
                meta[Logger.eventKey] = "sighting"
                meta["sighting_id"] = "\(sightingID)"
                meta["decision"] = "\(identification?.decision.rawValue ?? SightingDecision.awaitingIdentification.rawValue)"
                var what = "awaiting identification"
                if let id = identification {
                    meta["model_version"] = "\(id.modelVersion)"
                    if let score = id.score { meta["score"] = "\(String(format: "%.4f", score))" }
                    if let individual = id.individual { meta["individual_id"] = "\(individual)" }
                    switch id.decision {
                    case .match: what = "match \(id.individual ?? "?")"
                    case .uncertain: what = "uncertain, best \(id.individual ?? "?")"
                    case .new: what = "new individual candidate"
                    case .awaitingIdentification: break
                    }
                    if let score = id.score { what += String(format: " (score %.3f)", score) }
                    if !id.unusableBecause.isEmpty {
                        what += "; not called new, the photo is unusable: " + id.unusableBecause.joined(separator: ", ")
                        meta["unusable_because"] = "\(id.unusableBecause.joined(separator: "; "))"
                    }
                }
                if let encounter, let call = encounter.call {
                    meta["encounter_id"] = "\(encounter.id)"
                    meta["encounter_decision"] = "\(call.decision.rawValue)"
                    what += "; encounter \(encounter.id) (\(call.photos) photo\(call.photos == 1 ? "" : "s")): \(call.decision.rawValue)"
                    if let individual = call.individual { what += " \(individual)" }
                    if let score = call.score { what += String(format: " (%.3f)", score) }
                }
                logger.info("sighting \(sightingID) from photo \(photo.id.short): \(what) (\(quality.width)×\(quality.height), sharpness \(Int(quality.sharpness)))",
                            metadata: meta)
                progress.withLock {
                    $0.processed += 1
                    $0.lastSightingAt = Date()
                }
            case .quarantined(let reason):
                meta[Logger.eventKey] = "quarantine"
                meta["reason"] = "\(reason.code)"
                logger.warning("quarantined photo \(photo.id.short) (\(photo.paths.first ?? "")): \(reason.explanation)", metadata: meta)
            case .failed(let reason):
                meta[Logger.eventKey] = "failed"
                logger.error("photo \(photo.id.short) failed: \(reason)", metadata: meta)
            }
        } catch {
            meta[Logger.eventKey] = "failed"
            logger.error("processing photo \(photo.id.short) hit an error: \(error); it goes back in the queue", metadata: meta)
            try? queue.release(photo.id)
            signal.wait(timeout: 2)
        }
    }
}
