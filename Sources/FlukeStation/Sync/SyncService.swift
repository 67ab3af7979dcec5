import FlukeAPI
import FlukeStore
import Foundation
import Logging
import ServiceLifecycle

/// Drains the sync outbox to the hub and pulls the catalog's changes back, in rounds.
///
/// A round prepares new outbox rows, sends the oldest items (crops first, then the batch) until
/// `max_bytes_per_round` is spent, and then applies catalog changes page by page. Everything a
/// round learns is written as it is learnt, so killing the station mid-round loses nothing: the
/// next round resends what was not acknowledged (the hub takes resends as no-ops) and resumes
/// the catalog from the stored cursor.
public final class SyncService: Service, Sendable {
    public struct RoundReport: Sendable, Equatable {
        public var itemsSent = 0
        public var accepted = 0
        public var duplicates = 0
        public var parked = 0
        public var cropsUploaded = 0
        /// Hub reference photos whose crops were fetched and given local features.
        public var referencesVerifiable = 0
        public var bytesSent = 0
        public var changes = CatalogChangeApplier.Applied()
        /// Items still waiting (the byte budget ran out, or new ones arrived).
        public var waiting = 0
        public init() {}
    }

    let settings: HubSettings
    let stationID: String
    let stateDirectory: String
    let outbox: SyncOutbox
    let applier: CatalogChangeApplier
    let client: HubClient
    let refit: CatalogRefit
    let referenceCrops: HubReferenceCrops
    let logger: Logger

    public init(config: StationConfig, settings: HubSettings, database: StationDatabase, logger: Logger) {
        self.settings = settings
        self.stationID = config.stationID
        self.stateDirectory = config.stateDirectory
        self.outbox = SyncOutbox(database: database)
        self.applier = CatalogChangeApplier(database: database)
        self.client = HubClient(settings: settings)
        self.refit = CatalogRefit(store: CatalogStore(database: database), logger: logger)
        self.referenceCrops = HubReferenceCrops(client: client, store: CatalogStore(database: database),
                                                stateDirectory: config.stateDirectory, thumbnailSize: config.thumbnailSize,
                                                analysisSize: config.analysisSize, logger: logger)
        self.logger = logger
    }

    /// The daemon's loop: a round every `interval_seconds`, backing off after failures, until shutdown.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.loop(forever: true)
        }
        await client.shutdown()
    }

    /// Rounds until one succeeds with nothing left to send (or forever, for the daemon).
    public func loop(forever: Bool) async throws {
        var backoff = Backoff(minimum: settings.retryMinSeconds, maximum: settings.retryMaxSeconds)
        while !Task.isCancelled {
            let wait: Double
            do {
                let report = try await round()
                backoff.succeeded()
                if !forever, report.waiting == 0 { return }
                wait = report.waiting > 0 ? 0 : settings.intervalSeconds
            } catch {
                wait = backoff.failed()
                logger.warning("sync failed: \(error); next try in \(Int(wait.rounded())) s",
                               metadata: [Logger.eventKey: "sync"])
            }
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        }
    }

    /// One round. Throws when the hub cannot be reached or refuses the station; the error is
    /// also recorded for `flukewatch status`.
    @discardableResult
    public func round() async throws -> RoundReport {
        do {
            let report = try await roundBody()
            try outbox.setState([.lastSuccessAt: ISO8601DateFormatter().string(from: Date())])
            var parts = ["sent \(report.itemsSent) item(s) (\(report.accepted) new, \(report.duplicates) already held)",
                         "\(report.cropsUploaded) crop(s)", "\(report.bytesSent) bytes"]
            if report.parked > 0 { parts.append("\(report.parked) refused and set aside (see `flukewatch sync`)") }
            if report.changes.total > 0 { parts.append("applied \(report.changes.total) catalog change(s)") }
            if report.referencesVerifiable > 0 { parts.append("fetched the crops of \(report.referencesVerifiable) reference photo(s) for verification") }
            if report.waiting > 0 { parts.append("\(report.waiting) item(s) wait for the next round") }
            logger.info("sync: \(parts.joined(separator: ", "))", metadata: [Logger.eventKey: "sync"])
            for (provisional, global) in report.changes.assignments.sorted(by: { $0.key < $1.key }) {
                logger.notice("sync: \(provisional) is now \(global) in the shared catalog",
                              metadata: [Logger.eventKey: "sync", "INDIVIDUAL_ID": "\(global)"])
            }
            return report
        } catch {
            try? outbox.setState([.lastErrorAt: ISO8601DateFormatter().string(from: Date()), .lastError: "\(error)"])
            throw error
        }
    }

    private func roundBody() async throws -> RoundReport {
        var report = RoundReport()
        while try outbox.prepare(stateDirectory: stateDirectory, fullFrames: settings.sendFullFrames).prepared > 0 {}
        var budget = settings.maxBytesPerRound
        var itemCap = settings.batchItems
        while budget > 0 {
            let batch = try outbox.nextBatch(maxBytes: budget, maxItems: itemCap)
            if batch.isEmpty { break }
            try await uploadCrops(of: batch, &report)
            try outbox.countAttempt(batch.map(\.itemID))
            do {
                let result = try await client.submit(station: stationID, items: batch.map(\.body))
                try outbox.acknowledge(result.results.map(\.itemID))
                report.itemsSent += batch.count
                report.accepted += result.results.filter { $0.status == .accepted }.count
                report.duplicates += result.results.filter { $0.status == .duplicate }.count
                let spent = batch.reduce(0) { $0 + $1.bytes }
                report.bytesSent += spent
                budget -= spent
            } catch let error as HubError {
                guard case .refused(let status, let problem) = error else { throw error }
                if status == 409, let conflicts = problem?.conflicts, !conflicts.isEmpty {
                    // The hub holds these ids with other content: set them aside, resend the rest.
                    for c in conflicts {
                        try outbox.park(c.itemID, reason: "the hub holds item \(c.itemID) with different \(c.fields.joined(separator: ", "))")
                        logger.error("sync: the hub holds item \(c.itemID) with different \(c.fields.joined(separator: ", ")); it is set aside, the rest goes on",
                                     metadata: [Logger.eventKey: "sync"])
                    }
                    report.parked += conflicts.count
                } else if status == 400 || status == 413 || status == 422 {
                    // One bad item must not block the others: halve until it stands alone, then set it aside.
                    if batch.count > 1 {
                        itemCap = max(1, batch.count / 2)
                    } else {
                        let why = problem.map { "\($0.code): \($0.message)" } ?? "status \(status)"
                        try outbox.park(batch[0].itemID, reason: "the hub refused it: \(why)")
                        logger.error("sync: the hub refused item \(batch[0].itemID) (\(why)); it is set aside",
                                     metadata: [Logger.eventKey: "sync"])
                        report.parked += 1
                    }
                } else {
                    throw error
                }
            }
        }
        report.waiting = try outbox.nextBatch(maxBytes: Int.max, maxItems: Int.max).count
        try await pullChanges(&report)
        return report
    }

    /// Crops go before the items that name them; the hub's HEAD makes a retry cost one round trip.
    private func uploadCrops(of batch: [SyncOutbox.PendingItem], _ report: inout RoundReport) async throws {
        for item in batch {
            guard let sha = item.cropSHA256, let path = item.cropPath, try !outbox.isCropUploaded(sha) else { continue }
            if try await client.cropExists(sha) {
                try outbox.markCropUploaded(sha)
                continue
            }
            guard let bytes = FileManager.default.contents(atPath: path), ContentHasher.hash(bytes: bytes).hex == sha else {
                logger.warning("sync: thumbnail \(path) is missing or changed since it was queued; item \(item.itemID) goes without its crop",
                               metadata: [Logger.eventKey: "sync"])
                continue
            }
            try await client.uploadCrop(sha, bytes: bytes)
            try outbox.markCropUploaded(sha)
            report.cropsUploaded += 1
        }
    }

    private func pullChanges(_ report: inout RoundReport) async throws {
        while true {
            let page = try await client.changes(after: try applier.cursor(), limit: 500)
            let applied = try applier.apply(page)
            report.changes.individuals += applied.individuals
            report.changes.assignments.merge(applied.assignments) { $1 }
            report.changes.merges += applied.merges
            report.changes.references += applied.references
            report.changes.rejections += applied.rejections
            if !page.hasMore { break }
        }
        // The refit runs even when fetching crops fails, so the references applied above join now.
        var fetchError: (any Error)?
        do {
            report.referencesVerifiable = try await referenceCrops.fetch()
        } catch {
            fetchError = error
        }
        refit.afterChanges(report.changes, newLocalFeatures: report.referencesVerifiable)
        if let fetchError { throw fetchError }
    }

    public func shutdown() async { await client.shutdown() }
}
