import CSystemd
import FlukeCore
import FlukeStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The station's pipeline as one Service: the intake thread feeding the durable queue and the
/// worker threads draining it, plus the systemd conversation about them (READY, STATUS,
/// WATCHDOG only while healthy, RELOADING on SIGHUP, STOPPING).
///
/// Graceful shutdown stops intake, lets each worker finish the photo in hand, and returns;
/// anything still queued waits in the database for the next start.
public final class PipelineService: Service, @unchecked Sendable {
    /// Re-reads the configuration (SIGHUP). Nil: reloading is not possible (no config source).
    public typealias Reloader = @Sendable () throws -> StationConfig

    private let config: StationConfig
    private let database: StationDatabase
    private let logger: Logger
    private let notifier = SystemdNotifier()
    private let intake: IntakeLoop
    private let workers: WorkerPool
    private let signal = WorkSignal()
    private let armed = ArmedLatch()
    private let reloader: Reloader?
    private let onReady: @Sendable () -> Void
    private let identification: IdentificationService?
    private let modelChange: ModelChangeRunner?

    public init(config: StationConfig, database: StationDatabase, logger: Logger, reloader: Reloader? = nil,
                onReady: @escaping @Sendable () -> Void = {}) {
        self.config = config
        self.database = database
        self.logger = logger
        self.reloader = reloader
        self.onReady = onReady
        let queue = PhotoQueue(database: database)
        let signal = self.signal
        let armed = self.armed
        identification = Self.loadIdentification(config: config, database: database, logger: logger)
        modelChange = identification.flatMap {
            ModelChangeRunner(service: $0, database: database, logger: logger, onFinished: { signal.notify() })
        }
        intake = IntakeLoop(folders: config.dropFolders,
                            intaker: PhotoIntaker(log: IntakeLog(database: database), maxPixels: config.maxPixels),
                            settle: config.settleSeconds, logger: logger,
                            onArmed: { armed.resolve($0) }, onQueued: { signal.notify() })
        workers = WorkerPool(count: config.workers, processor: PhotoProcessor(queue: queue, config: config),
                             queue: queue, signal: signal, logger: logger, identification: identification)
    }

    /// The identification engine, when the model is installed; without it photos are still
    /// logged (awaiting identification), so a missing model never stops intake.
    static func loadIdentification(config: StationConfig, database: StationDatabase, logger: Logger) -> IdentificationService? {
        do {
            let service = IdentificationService(package: try ModelLocator.load(configured: config.modelDirectory),
                                                database: database, config: config)
            try service.refreshIfChanged()
            if let index = service.current {
                logger.notice("identification on: model \(service.featureVersion) (\(service.recipe.embeddingWork)\(config.fastEmbedding ? ", fast_embedding" : "")), catalog of \(index.fitted.catalogPhotos) photos of \(index.fitted.individuals) individuals, thresholds new < \(String(format: "%.3f", index.policy.newThreshold)), match ≥ \(String(format: "%.3f", index.policy.matchThreshold))")
            } else {
                logger.notice("identification waits for a catalog (model \(service.featureVersion)): import one with `flukewatch catalog import CSV`; sightings are logged as awaiting identification meanwhile")
            }
            return service
        } catch {
            logger.warning("identification off: \(error); sightings are logged as awaiting identification")
            return nil
        }
    }

    public func run() async throws {
        // Trap SIGHUP before READY=1, so a reload sent right after start is never fatal.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        intake.start()
        workers.start()
        modelChange?.start()
        let watched: [String]
        do {
            watched = try await armed.value()
        } catch {
            await stopThreads()
            throw error
        }
        logger.notice("FlukeWatch station ready: \(config.dropFolders.count) drop folder(s), \(watched.count) folder(s) watched, \(config.workers) worker(s), database \(database.path)",
                      metadata: [Logger.eventKey: "\(StationEvent.ready.rawValue)"])
        notifier.ready(status: statusLine())
        onReady()

        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    // A catalog imported or refitted by another process joins without a restart.
                    if let identification, (try? identification.refreshIfChanged()) == true, let index = identification.current {
                        logger.notice("catalog reloaded: \(index.fitted.catalogPhotos) photos of \(index.fitted.individuals) individuals",
                                      metadata: [Logger.eventKey: "\(StationEvent.reload.rawValue)"])
                    }
                    notifier.status(statusLine())
                }
            }
            if let timeout = notifier.watchdogTimeout {
                group.addTask { [self] in await watchdog(timeout: timeout) }
            }
            group.addTask { [self] in
                for await _ in hangups {
                    if Task.isCancelled { break }
                    reload()
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        notifier.stopping(status: "stopping: finishing the photos in hand")
        logger.notice("stopping: finishing the photos in hand; queued photos wait in the database",
                      metadata: [Logger.eventKey: "\(StationEvent.stop.rawValue)"])
        await stopThreads()
        logger.notice("stopped cleanly", metadata: [Logger.eventKey: "\(StationEvent.stop.rawValue)"])
    }

    /// Pings systemd's watchdog at a third of its timeout, but only while every worker and the
    /// intake thread are making progress: a stuck pipeline must be restarted, not kept alive.
    private func watchdog(timeout: TimeInterval) async {
        var reported = false
        while !Task.isCancelled {
            let snapshot = PipelineHealth.Snapshot(busy: workers.progress.withLock { $0.busy },
                                                   intakeHeartbeat: intake.heartbeat.withLock { $0 })
            switch PipelineHealth.assess(snapshot, now: Date(), timeout: timeout) {
            case .healthy:
                notifier.send("WATCHDOG=1")
                reported = false
            case .stuck(let why):
                if !reported {
                    logger.error("pipeline stuck: \(why); withholding the watchdog ping so systemd restarts the station (the photo is re-queued, and set aside after 3 interruptions)",
                                 metadata: [Logger.eventKey: "\(StationEvent.watchdog.rawValue)"])
                    reported = true
                }
            }
            try? await Task.sleep(for: .seconds(timeout / 3))
        }
    }

    /// SIGHUP: re-read the config and apply what can change without a restart (drop folders).
    private func reload() {
        guard let reloader else {
            logger.warning("SIGHUP received but this run has no config file to re-read; ignored",
                           metadata: [Logger.eventKey: "\(StationEvent.reload.rawValue)"])
            return
        }
        notifier.send("RELOADING=1\nSTATUS=reloading the configuration")
        defer { notifier.send("READY=1\nSTATUS=\(statusLine())") }
        do {
            let new = try reloader()
            intake.reconfigure(new.dropFolders)
            var ignored: [String] = []
            if new.stateDirectory != config.stateDirectory { ignored.append("storage.state_dir") }
            if new.workers != config.workers { ignored.append("processing.workers") }
            if new.logLevel != config.logLevel { ignored.append("logging.level") }
            let note = ignored.isEmpty ? "" : "; changes to \(ignored.joined(separator: ", ")) take effect at the next restart"
            logger.notice("configuration reloaded: \(new.dropFolders.count) drop folder(s)\(note)",
                          metadata: [Logger.eventKey: "\(StationEvent.reload.rawValue)"])
        } catch {
            logger.error("configuration reload failed, keeping the running configuration: \(error)",
                         metadata: [Logger.eventKey: "\(StationEvent.reload.rawValue)"])
        }
    }

    /// Applies a new set of drop folders without a restart.
    public func reconfigure(dropFolders: [StationConfig.DropFolder]) {
        intake.reconfigure(dropFolders)
    }

    private func stopThreads() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [self] in
                modelChange?.stop()
                intake.stop()
                workers.stop()
                done.resume()
            }
        }
    }

    /// `queue 3 · done 120 · quarantined 2 · last sighting 12:04:31` for `systemctl status`.
    func statusLine() -> String {
        guard let s = try? StationQueries(database: database).status() else { return "running (database busy)" }
        var line = "queue \(s.photos.queued + s.photos.processing) · done \(s.photos.done) · quarantined \(s.photos.quarantined)"
        if let last = workers.progress.withLock({ $0.lastSightingAt }) {
            let f = DateFormatter()
            f.dateFormat = "HH:mm:ss"
            line += " · last sighting \(f.string(from: last))"
        } else {
            line += " · no sighting yet"
        }
        return line + " · last sync never (no hub configured)"
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
