import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation
import Logging

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "The station's catalog of known individuals.",
        subcommands: [CatalogImportCommand.self, CatalogStatsCommand.self, CatalogReembedCommand.self, CatalogPruneCommand.self])
}

struct CatalogImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add photos of known individuals from a CSV (file,individual[,name]), then refit and recalibrate.",
        discussion: "Paths are absolute or relative to the CSV's folder. Re-importing is idempotent. Bad rows are reported with their line and skipped; each photo is added in one transaction.")

    @OptionGroup var station: StationOptions

    @Argument(help: ArgumentHelp("The catalog listing.", valueName: "CSV"))
    var csv: String

    @Option(name: .long, help: "fluke: crop to the fluke first; none: the photos are already cropped.")
    var crop: CropMode = .fluke

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        let (config, database, package) = try station.openForCatalogWork()
        var bar = ProgressBar()
        let summary: CatalogImporter.Summary
        do {
            summary = try CatalogImporter(database: database, package: package, recipe: config.recipe, logger: Logger(label: "flukewatch-catalog"))
                .run(csvPath: csv, crop: crop) { done, total in bar.update("import", done, total) }
        } catch {
            throw CLIError("\(error)")
        }
        if json { return try Output.jsonLine(summary) }
        print("imported \(summary.added) new photo(s), \(summary.alreadyPresent) already present, \(summary.skipped.count) skipped; catalog: \(summary.catalogPhotos) photos of \(summary.individuals) individuals")
        for s in summary.skipped { print("  skipped \(s)") }
        if let n = summary.thresholdNew, let m = summary.thresholdMatch {
            print(String(format: "thresholds calibrated on the catalog: new < %.3f, match ≥ %.3f (simulated MAP@5 %.3f)", n, m, summary.simulatedMAP5 ?? 0))
        }
    }
}

struct CatalogStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Catalog size, model and decision thresholds.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "One JSON object.")
    var json = false

    struct Stats: Encodable {
        var individuals: Int
        var photos: Int
        var modelVersion: String
        var fitted: Bool
        var thresholdNew: Double?
        var thresholdMatch: Double?
        var thresholdSource: String
        var simulatedMAP5: Double?
        var fittedAt: String?
        var recipe: String?
        /// What earlier models left behind, for `catalog prune`.
        var otherVersions: [CatalogStore.OtherVersion]

        enum CodingKeys: String, CodingKey {
            case individuals, photos, fitted, recipe
            case otherVersions = "other_versions"
            case modelVersion = "model_version", thresholdNew = "threshold_new", thresholdMatch = "threshold_match"
            case thresholdSource = "threshold_source", simulatedMAP5 = "simulated_map5", fittedAt = "fitted_at"
        }
    }

    func run() throws {
        let (config, database) = try station.openDatabase()
        let package = try ModelLocator.load(configured: config.modelDirectory)
        let store = CatalogStore(database: database)
        let counts = try store.counts()
        let version = package.featureVersion(config.recipe)
        let fitted = try store.fittedModel(version: version, includingProjection: false)
        let overridden = config.thresholdNew != nil || config.thresholdMatch != nil
        let stats = Stats(individuals: counts.individuals, photos: counts.photos, modelVersion: version, fitted: fitted != nil,
                          thresholdNew: config.thresholdNew ?? fitted?.thresholdNew,
                          thresholdMatch: config.thresholdMatch ?? fitted?.thresholdMatch,
                          thresholdSource: overridden ? "config" : "calibrated from the catalog",
                          simulatedMAP5: fitted?.simulatedMAP5,
                          fittedAt: fitted.map { ISO8601DateFormatter().string(from: $0.fittedAt) }, recipe: fitted?.recipeJSON,
                          otherVersions: try store.otherVersions(inUse: version))
        if json { return try Output.jsonLine(stats) }
        print("catalog      \(stats.photos) photos of \(stats.individuals) individuals")
        print("model        \(stats.modelVersion)\(stats.fitted ? "" : " (not fitted yet: run catalog import)")")
        if let n = stats.thresholdNew, let m = stats.thresholdMatch {
            print(String(format: "thresholds   new < %.3f, match ≥ %.3f (%@)", n, m, stats.thresholdSource))
        }
        if let s = stats.simulatedMAP5 { print(String(format: "simulated    MAP@5 %.3f on the catalog's own photos", s)) }
        let others = stats.otherVersions
        if !others.isEmpty {
            let bytes = others.reduce(0) { $0 + $1.prunableBytes }
            print("other models \(others.count) version(s) not in use hold \(others.reduce(0) { $0 + $1.embeddings }) embedding(s) and "
                  + "\(others.filter(\.fitted).count) fit(s); `flukewatch catalog prune` frees \(CatalogPruneCommand.megabytes(bytes))")
        }
    }
}
