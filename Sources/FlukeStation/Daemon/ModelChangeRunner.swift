import FlukeStore
import Foundation
import Logging
import Synchronization

/// Runs `CatalogReembedder` on its own thread when the daemon starts with a model its catalog has
/// not been embedded by. While it runs the workers hold (`IdentificationService.isHoldingForModelChange`):
/// photos keep arriving and wait, safely queued, to be identified with the new model instead of
/// being logged unidentified. A stop interrupts it between photos; the next start resumes.
final class ModelChangeRunner: Sendable {
    private let service: IdentificationService
    private let reembedder: CatalogReembedder
    private let logger: Logger
    private let onFinished: @Sendable () -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// nil when nothing needs re-embedding: the model has a fitted catalog, or there is no catalog.
    /// A fitted catalog missing some photos (imported while another model or `fast_embedding`
    /// setting was in use) is used as it is, with a warning naming the command that adds them.
    init?(service: IdentificationService, database: StationDatabase, logger: Logger, onFinished: @escaping @Sendable () -> Void) {
        let reembedder = CatalogReembedder(database: database, package: service.package, recipe: service.recipe, logger: logger)
        let missing = (try? reembedder.missingCount()) ?? 0
        guard service.current == nil, missing > 0 else {
            if missing > 0 {
                logger.warning("\(missing) catalog photo(s) have no embedding for model \(service.featureVersion) (imported under another model, fast_embedding or views_at setting, or failing to re-embed) and are left out of identification; run `flukewatch catalog reembed` to add them")
            }
            return nil
        }
        self.service = service
        self.reembedder = reembedder
        self.logger = logger
        self.onFinished = onFinished
        service.holdForModelChange(true)
    }

    func start() {
        let t = Thread { [self] in
            do {
                _ = try reembedder.run(shouldStop: { stopRequested.load(ordering: .acquiring) })
                if !stopRequested.load(ordering: .acquiring) { try service.refreshIfChanged() }
            } catch {
                logger.error("re-embedding the catalog for model \(service.featureVersion) failed: \(error); photos are processed without identification until `flukewatch catalog reembed` succeeds")
            }
            service.holdForModelChange(false)
            onFinished()
            finished.signal()
        }
        t.name = "flukewatch-model-change"
        t.start()
    }

    /// Asks the run to stop after the photo in hand and waits for it.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        finished.wait()
        finished.signal()
    }
}
