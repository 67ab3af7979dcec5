import FlukeMatch

/// `flukewatch evaluate --catalog-views-at PLACE`: the catalog embedded with its views made
/// elsewhere than the queries' (e.g. the catalog on the image, the queries at `s8_c40`).
///
/// The 10 ms the embedding may take binds the photo that has just arrived, not the catalog: a
/// station embeds its catalog at import and in the background, where five whole runs a photo
/// are affordable. Both recipes come from the same network runs (`FeatureExtractor`'s looks keyed
/// by view and place), so the catalog's vectors are those the station would store for them, and
/// the projection and thresholds are fitted on them alone, as a station's catalog import does.
///
/// The recipes one extraction embeds the set with, in order, and where the optional ones'
/// vectors sit: the station's first, then the ablation's steps (`ablationRows` reads them at
/// 1, 2, …), then the one-run recipe (`--fast-first`), then the catalog's.
struct RecipeLayout {
    private(set) var recipes: [MatchingRecipe]
    private(set) var fastFirst: Int?
    private(set) var catalog: Int?

    init(station: MatchingRecipe, ablation: [MatchingRecipe] = [], fastFirst: MatchingRecipe? = nil, catalog: MatchingRecipe?) {
        recipes = [station] + ablation
        if let fastFirst { self.fastFirst = recipes.count; recipes.append(fastFirst) }
        if let catalog { self.catalog = recipes.count; recipes.append(catalog) }
    }

    /// Every photo's vector for the station's trial: the catalog part's from the catalog recipe
    /// when there is one, every query's from the station's.
    func stationFeatures(_ extracted: ExtractedSet, split: EvaluationSplit) -> [[Float]] {
        var features = extracted.vectors[0]
        if let catalog {
            for row in split.catalogRows { features[row] = extracted.vectors[catalog][row] }
        }
        return features
    }
}

extension Evaluator {
    /// What the station's package extracts.
    var stationLayout: RecipeLayout {
        RecipeLayout(station: settings.recipe, ablation: settings.ablation ? ablationSteps.map(\.recipe) : [],
                     fastFirst: fastFirstMeasured ? settings.recipe.withoutViews : nil, catalog: settings.catalogRecipe)
    }

    /// What each fine-tuned package extracts: the station's recipe, and the catalog's.
    var fineTunedLayout: RecipeLayout { RecipeLayout(station: settings.recipe, catalog: settings.catalogRecipe) }
}
