import FlukeMatch

/// `flukewatch evaluate --ablation`: the frozen net and each step the station adds, measured on
/// the same split from the same network runs, one table row per step.
extension Evaluator {
    /// One line of the ablation table.
    public struct AblationRow: Codable, Sendable {
        public var step: String
        public var metrics: MetricsReport
        public var encounterMetrics: MetricsReport
        public var thresholdNew: Float

        enum CodingKeys: String, CodingKey {
            case step, metrics
            case encounterMetrics = "encounter_metrics", thresholdNew = "threshold_new"
        }
    }

    /// The recipes the ablation needs besides the station's, read from the same network runs: the
    /// frozen net's pooled vector and (when the recipe averages several views) the crop's own view alone.
    var ablationRecipes: [MatchingRecipe] {
        guard settings.recipe != .baseline else { return [] }
        return settings.recipe.extraViews.isEmpty ? [.baseline] : [.baseline, singleViewRecipe]
    }

    private var singleViewRecipe: MatchingRecipe {
        var recipe = settings.recipe
        recipe.views = nil
        return recipe
    }

    /// `extracted.vectors` holds the station recipe's vectors first, then `ablationRecipes`' in order.
    func ablationRows(station: Trial, extracted: ExtractedSet, split: EvaluationSplit, usable: [Bool], encounters: [[Int]],
                      progress: (String, Int, Int) -> Void) throws -> [AblationRow]
    {
        func trial(_ recipe: MatchingRecipe, vectors: Int) throws -> Trial {
            progress("fit", 0, 1)
            return try Trial(recipe: recipe, features: extracted.vectors[vectors], local: [], labels: extracted.labels,
                             split: split, keepQueries: false, files: extracted.files)
        }
        var rows: [AblationRow] = []
        if extracted.vectors.count > 1 {
            rows.append(try trial(.baseline, vectors: 1)
                .row("frozen ImageNet net: pooled vector, nearest photo", usable: nil, encounters: encounters))
        }
        let grid = "+ stride-16 grid features, projection fitted on the catalog"
        let views = "+ the crop and \(settings.recipe.extraViews.count) rotated, closer views averaged"
        if extracted.vectors.count > 2 {
            var single = singleViewRecipe
            single.verification = nil
            rows.append(try trial(single, vectors: 2).row(grid, usable: nil, encounters: encounters))
        }
        let globalStep = extracted.vectors.count > 2 ? views : grid
        if settings.recipe.verification != nil {
            var global = settings.recipe
            global.verification = nil
            rows.append(try trial(global, vectors: 0).row(globalStep, usable: nil, encounters: encounters))
            rows.append(station.row("+ geometric verification of the leaders (SIFT, similarity RANSAC)", usable: nil,
                                    encounters: encounters))
        } else {
            rows.append(station.row(globalStep, usable: nil, encounters: encounters))
        }
        rows.append(station.row("+ unusable photos never called new", usable: usable, encounters: encounters))
        return rows
    }
}
