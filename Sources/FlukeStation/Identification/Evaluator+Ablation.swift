import FlukeMatch

/// `flukewatch evaluate --ablation`: the frozen net and each step the station adds, measured on
/// the same split from the same network runs, one table row per step.
extension Evaluator {
    /// One line of the ablation table.
    public struct AblationRow: Codable, Sendable {
        public var step: String
        public var metrics: MetricsReport
        public var encounterMetrics: MetricsReport
        /// nil for the fine-tuned row: its queries were read at each package's own threshold.
        public var thresholdNew: Float?

        enum CodingKeys: String, CodingKey {
            case step, metrics
            case encounterMetrics = "encounter_metrics", thresholdNew = "threshold_new"
        }
    }

    private static let gridStep = "+ stride-16 grid features, projection fitted on the catalog"

    private var viewsStep: String {
        "+ the crop and \(settings.recipe.extraViews.count) rotated, closer views averaged"
            + (settings.recipe.viewsAt.map { " (made at the \($0) map)" } ?? "")
    }

    private var finerGridStep: String {
        let grid = settings.recipe.grid ?? MatchingRecipe.historicalGrid
        let alpha = settings.recipe.projection.map { String(format: ", LDA α %.2g", $0.alpha) } ?? ""
        return grid == MatchingRecipe.historicalGrid ? "+ projection\(alpha)" : "+ the map pooled \(grid)×\(grid) instead of 7×7\(alpha)"
    }

    private var mapZoomStep: String {
        let factors = settings.recipe.extraMapZooms.map { String(format: "×%g", $0) }.joined(separator: ", ")
        return "+ each look's map also magnified \(factors) and averaged in (no network run)"
    }

    /// The station recipe on the historical 7×7 grid and compact projection (with its views, or
    /// not), without map zooms.
    private func coarse(views: [ViewTransform]?) -> MatchingRecipe {
        var recipe = settings.recipe
        recipe.grid = MatchingRecipe.historicalGrid
        recipe.projection = MatchingRecipe.compact.projection
        recipe.views = views
        recipe.viewsAt = views == nil ? nil : settings.recipe.viewsAt
        recipe.verification = nil
        recipe.mapZooms = nil
        return recipe
    }

    /// The station's global ranking before its map zooms.
    private var unzoomed: MatchingRecipe {
        var recipe = settings.recipe
        recipe.verification = nil
        recipe.mapZooms = nil
        return recipe
    }

    /// Whether the recipe differs from its 7×7 form by its grid or projection (a step of its own).
    private var hasFinerGridStep: Bool {
        settings.recipe.projection != nil && unzoomed != coarse(views: settings.recipe.views)
    }

    /// Whether the recipe averages map zooms in (a step of its own, after the grid's).
    private var hasMapZoomStep: Bool { !settings.recipe.extraMapZooms.isEmpty }

    /// The name of the step whose recipe is `unzoomed`.
    private var unzoomedStep: String {
        hasFinerGridStep ? finerGridStep : settings.recipe.extraViews.isEmpty ? Self.gridStep : viewsStep
    }

    /// The steps measured from vectors of their own, besides the station recipe's, read from the
    /// same network runs: the frozen net's pooled vector, the crop's own view alone on the 7×7
    /// grid (when the recipe averages several views or pools finer), the views on the 7×7
    /// grid (when it does both), and the recipe without its map zooms (when it has some). Their
    /// vectors follow the station's, in this order.
    var ablationSteps: [(recipe: MatchingRecipe, step: String)] {
        guard settings.recipe != .baseline else { return [] }
        var steps = [(MatchingRecipe.baseline, "frozen ImageNet net: pooled vector, nearest photo")]
        if !settings.recipe.extraViews.isEmpty || hasFinerGridStep {
            steps.append((coarse(views: nil), Self.gridStep))
        }
        if !settings.recipe.extraViews.isEmpty && hasFinerGridStep {
            steps.append((coarse(views: settings.recipe.views), viewsStep))
        }
        if hasMapZoomStep && !steps.contains(where: { $0.0 == unzoomed }) {
            steps.append((unzoomed, unzoomedStep))
        }
        return steps
    }

    /// `verified`: the station recipe with every query verified; `station`: the same under the
    /// station's verification gate (the same trial when there is none).
    func ablationRows(verified: Trial, station: Trial, extracted: ExtractedSet, split: EvaluationSplit, usable: [Bool], encounters: [[Int]],
                      progress: (String, Int, Int) -> Void) throws -> [AblationRow]
    {
        func trial(_ recipe: MatchingRecipe, vectors: Int) throws -> Trial {
            progress("fit", 0, 1)
            return try Trial(recipe: recipe, features: extracted.vectors[vectors], local: [], labels: extracted.labels,
                             split: split)
        }
        var rows = try ablationSteps.enumerated().map { i, own in
            try trial(own.recipe, vectors: i + 1).row(own.step, usable: nil, encounters: encounters)
        }
        let globalStep = hasMapZoomStep ? mapZoomStep : unzoomedStep
        if settings.recipe.verification != nil {
            var global = settings.recipe
            global.verification = nil
            rows.append(try trial(global, vectors: 0).row(globalStep, usable: nil, encounters: encounters))
            rows.append(verified.row("+ geometric verification of the leaders (SIFT, similarity RANSAC)", usable: nil,
                                     encounters: encounters))
            if let margin = settings.verificationGate?.margin {
                rows.append(station.row(String(format: "+ verified only while in doubt (not a matching leader ahead by more than %.2f)", margin),
                                        usable: nil, encounters: encounters))
            }
        } else {
            rows.append(station.row(globalStep, usable: nil, encounters: encounters))
        }
        rows.append(station.row("+ unusable photos never called new", usable: usable, encounters: encounters))
        return rows
    }

    /// The last row: the same station with fine-tuned trunks in place of the ImageNet one.
    func fineTunedRow(_ report: FineTunedReport) -> AblationRow {
        let packages = report.packages.count == 1 ? "1 package" : "\(report.packages.count) packages"
        return AblationRow(step: "+ trunk fine-tuned on whales (\(packages); every query scored by one that never trained on its whale)",
                           metrics: report.metrics, encounterMetrics: report.encounterMetrics, thresholdNew: nil)
    }
}
