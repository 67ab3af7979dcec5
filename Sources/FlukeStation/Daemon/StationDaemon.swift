import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation
import Logging
import ServiceLifecycle

/// Wires the station together in one place: state directory, database, crash recovery, and the
/// services in one ServiceGroup (SIGTERM and SIGINT stop it gracefully).
public final class StationDaemon: Sendable {
    public let config: StationConfig
    public let database: StationDatabase
    public let pipeline: PipelineService
    private let group: ServiceGroup
    private let logger: Logger
    /// Held from start to the end of `run()`: one daemon per state directory.
    private let lock: StateDirectoryLock

    public init(config: StationConfig, logger: Logger, reloader: PipelineService.Reloader? = nil,
                onReady: @escaping @Sendable () -> Void = {}) throws {
        ProcessMemory.tuneForTheDaemon()
        self.config = config
        self.logger = logger
        guard !config.dropFolders.isEmpty else {
            throw StationError.noDropFolders
        }
        database = try StationDatabase.openCreatingStateDirectory(config)
        // Before recovery: "left in processing" only means interrupted when no daemon is running.
        lock = try StateDirectoryLock.acquire(stateDirectory: config.stateDirectory)
        let recovered = try PhotoQueue(database: database).requeueInterrupted()
        if recovered.requeued > 0 {
            logger.notice("re-queued \(recovered.requeued) photo(s) left in processing by the last stop", metadata: [Logger.eventKey: "recovery"])
        }
        if recovered.setAside > 0 {
            logger.warning("quarantined \(recovered.setAside) photo(s) whose processing was interrupted too often; see `flukewatch photos --status quarantined`",
                           metadata: [Logger.eventKey: "quarantine"])
        }
        PhotoDecoder.configureForWorkers()
        BLASThreads.useOne()
        pipeline = PipelineService(config: config, database: database, logger: logger, reloader: reloader, onReady: onReady)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: pipeline)]
        // The review page is optional: if it cannot listen it says why, and intake goes on.
        if let (address, token) = try config.review.webSettings() {
            services.append(.init(service: ReviewWebServer(config: config, database: database, address: address, token: token, logger: logger),
                                  successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        // With a [hub] section the daemon syncs on its own; without, the station works alone.
        if let hub = config.hub {
            services.append(.init(service: SyncService(config: config, settings: hub, database: database, logger: logger)))
        }
        group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    }

    public func run() async throws {
        defer { lock.release() }
        try await group.run()
    }

    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

public enum StationError: Error, CustomStringConvertible {
    case noDropFolders
    case stateDirectory(String, String)
    case noSuchPath(String)

    public var description: String {
        switch self {
        case .noDropFolders:
            "no drop folders configured: add a [[drop_folder]] section to the config, or pass --watch DIR[=CAMERA]"
        case .stateDirectory(let path, let why):
            "cannot use the state directory \(path): \(why); create it and make it writable by the flukewatch user"
        case .noSuchPath(let path):
            "\(path) does not exist; check the path (a card that was unmounted?)"
        }
    }
}

extension StationDatabase {
    /// Creates the state directory if needed, then opens the database inside it.
    public static func openCreatingStateDirectory(_ config: StationConfig) throws -> StationDatabase {
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw StationError.stateDirectory(config.stateDirectory, error.localizedDescription)
        }
        return try StationDatabase(path: config.databasePath)
    }
}
