import FlukeMatch

/// `flukewatch evaluate --catalog-views-at PLACE`: the catalog embedded with its views made
/// elsewhere than the queries' (e.g. the catalog on the image, the queries at `s8_c40`).
///
/// The 10 ms the embedding may take binds the photo that has just arrived, not the catalog: a
/// station embeds its catalog at import and in the background, where five whole runs a photo
/// are affordable. Both recipes come from the same network runs (`FeatureExtractor`'s looks keyed
/// by view and place), so the catalog's vectors are those the station would store for them, and
/// the projection and thresholds are fitted on them alone, as a station's catalog import does.
extension Evaluator {
    /// Where each recipe's vectors sit in an extracted set: the station's first, then the
    /// ablation's steps, then the one-run recipe (`--fast-first`), then the catalog's (see `run`).
    var fastFirstIndex: Int { 1 + (settings.ablation ? ablationSteps.count : 0) }
    var catalogRecipeIndex: Int? {
        settings.catalogRecipe.map { _ in fastFirstIndex + (fastFirstMeasured ? 1 : 0) }
    }

    /// Every photo's vector for the station's trial: the catalog part's from the catalog recipe
    /// when there is one, every query's from the station's.
    func stationFeatures(_ extracted: ExtractedSet, split: EvaluationSplit) -> [[Float]] {
        Self.features(extracted, catalogAt: catalogRecipeIndex, split: split)
    }

    /// The recipes a fine-tuned package embeds the set with: the station's, then the catalog's
    /// when there is one.
    var fineTunedRecipes: [MatchingRecipe] { [settings.recipe] + (settings.catalogRecipe.map { [$0] } ?? []) }

    /// `stationFeatures` for a fine-tuned package's set, extracted with `fineTunedRecipes`.
    func fineTunedFeatures(_ extracted: ExtractedSet, split: EvaluationSplit) -> [[Float]] {
        Self.features(extracted, catalogAt: settings.catalogRecipe == nil ? nil : 1, split: split)
    }

    /// The first recipe's vectors, with the catalog rows' taken from recipe `catalogAt` instead.
    private static func features(_ extracted: ExtractedSet, catalogAt: Int?, split: EvaluationSplit) -> [[Float]] {
        var features = extracted.vectors[0]
        if let c = catalogAt {
            for row in split.catalogRows { features[row] = extracted.vectors[c][row] }
        }
        return features
    }
}
