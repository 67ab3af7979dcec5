import FlukeMatch
import FlukeStore
import Foundation
import Logging

/// Refits the station's catalog after the hub's changes reached it, so reference embeddings of
/// new global individuals (and merges) join identification without a restart: the daemon's
/// `IdentificationService.refreshIfChanged` reloads the index once the fit's time changes.
///
/// Every model version with catalog embeddings is refitted, with the recipe it was fitted with
/// (the station's default for a version fitted here for the first time). A catalog still too
/// small to calibrate is not an error of the sync: it waits for more references.
struct CatalogRefit: Sendable {
    let store: CatalogStore
    let logger: Logger

    /// `newLocalFeatures`: catalog photos that just got local features (the calibration
    /// verifies with them, so the thresholds move).
    func afterChanges(_ applied: CatalogChangeApplier.Applied, newLocalFeatures: Int = 0) {
        // Only changes that alter the gallery: new references, labels that collapsed, new evidence.
        guard applied.references > 0 || applied.merges > 0 || !applied.assignments.isEmpty || newLocalFeatures > 0 else { return }
        let versions: [String]
        do {
            versions = try store.featureModelVersions()
        } catch {
            logger.error("sync: cannot read the catalog to refit it: \(error); the next catalog change tries again",
                         metadata: [Logger.eventKey: "sync"])
            return
        }
        for version in versions {
            do {
                let recipe = try store.fittedModel(version: version, includingProjection: false).map {
                    try JSONDecoder().decode(MatchingRecipe.self, from: Data($0.recipeJSON.utf8))
                } ?? .station
                let fit = try CatalogFitter(store: store).refit(modelVersion: version, recipe: recipe)
                logger.notice("sync: catalog for model \(version) refitted with the hub's changes: \(fit.fitted.catalogPhotos) photos of \(fit.fitted.individuals) individuals",
                              metadata: [Logger.eventKey: "sync"])
            } catch let error as IdentificationError {
                logger.info("sync: catalog for model \(version) not refitted yet: \(error)", metadata: [Logger.eventKey: "sync"])
            } catch {
                logger.error("sync: refitting the catalog for model \(version) failed: \(error)", metadata: [Logger.eventKey: "sync"])
            }
        }
    }
}
