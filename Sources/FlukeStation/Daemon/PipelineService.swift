import FlukeCore
import FlukeStore
import Foundation
import Logging
import ServiceLifecycle

/// The station's pipeline as one Service: the intake thread feeding the durable queue and the
/// worker threads draining it. Graceful shutdown stops intake, lets each worker finish the photo
/// in hand, and returns; anything still queued waits in the database for the next start.
public final class PipelineService: Service, @unchecked Sendable {
    private let config: StationConfig
    private let database: StationDatabase
    private let logger: Logger
    private let notifier = SystemdNotifier()
    private let intake: IntakeLoop
    private let workers: WorkerPool
    private let signal = WorkSignal()
    private let onReady: @Sendable () -> Void

    public init(config: StationConfig, database: StationDatabase, logger: Logger,
                onReady: @escaping @Sendable () -> Void = {}) {
        self.config = config
        self.database = database
        self.logger = logger
        self.onReady = onReady
        let queue = PhotoQueue(database: database)
        let signal = self.signal
        let armed = ArmedLatch()
        self.armed = armed
        intake = IntakeLoop(folders: config.dropFolders,
                            intaker: PhotoIntaker(log: IntakeLog(database: database), maxPixels: config.maxPixels),
                            settle: config.settleSeconds, logger: logger,
                            onArmed: { armed.resolve($0) }, onQueued: { signal.notify() })
        workers = WorkerPool(count: config.workers, processor: PhotoProcessor(queue: queue, config: config),
                             queue: queue, signal: signal, logger: logger)
    }

    private let armed: ArmedLatch

    public func run() async throws {
        intake.start()
        workers.start()
        let watched: [String]
        do {
            watched = try await armed.value()
        } catch {
            await stopThreads()
            throw error
        }
        logger.notice("FlukeWatch station ready: \(config.dropFolders.count) drop folder(s), \(watched.count) folder(s) watched, \(config.workers) worker(s), database \(database.path)",
                      metadata: [Logger.eventKey: "ready"])
        notifier.ready(status: statusLine())
        onReady()

        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    notifier.status(statusLine())
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        notifier.stopping(status: "stopping: finishing the photos in hand")
        logger.notice("stopping: finishing the photos in hand; queued photos wait in the database", metadata: [Logger.eventKey: "stop"])
        await stopThreads()
        logger.notice("stopped cleanly", metadata: [Logger.eventKey: "stop"])
    }

    /// Applies a new set of drop folders without a restart.
    public func reconfigure(dropFolders: [StationConfig.DropFolder]) {
        intake.reconfigure(dropFolders)
    }

    private func stopThreads() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                intake.stop()
                workers.stop()
                done.resume()
            }
        }
    }

    /// `queue 3 · done 120 · last sighting 12:04:31` for `systemctl status`.
    func statusLine() -> String {
        guard let s = try? StationQueries(database: database).status() else { return "running (database busy)" }
        var line = "queue \(s.photos.queued + s.photos.processing) · done \(s.photos.done) · quarantined \(s.photos.quarantined)"
        if let last = workers.progress.withLock({ $0.lastSightingAt }) {
            let f = DateFormatter()
            f.dateFormat = "HH:mm:ss"
            line += " · last sighting \(f.string(from: last))"
        }
        return line
    }
}

/// Hands the intake thread's "watches armed" result to the async pipeline once.
final class ArmedLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<[String], Error>?
    private var waiter: CheckedContinuation<[String], Error>?

    func resolve(_ r: Result<[String], Error>) {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.resume(with: r)
            return
        }
        result = r
        lock.unlock()
    }

    func value() async throws -> [String] {
        try await withCheckedThrowingContinuation { c in
            lock.lock()
            if let r = result {
                lock.unlock()
                c.resume(with: r)
            } else {
                waiter = c
                lock.unlock()
            }
        }
    }
}
