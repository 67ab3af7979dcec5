import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation
import Logging

struct CatalogReembedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reembed",
        abstract: "Embed every catalog photo with the installed model and recipe (from its original file) and refit.",
        discussion: "The daemon does this by itself in the background when it starts with a new model (or `fast_embedding` switched); this runs it in the foreground. Photos already embedded by the installed model are skipped, so it resumes after an interruption. Earlier models' embeddings are kept.")

    @OptionGroup var station: StationOptions

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        let (config, database, package) = try station.openForCatalogWork()
        var bar = ProgressBar()
        let summary: CatalogReembedder.Summary
        do {
            summary = try CatalogReembedder(database: database, package: package, recipe: config.recipe, logger: Logger(label: "flukewatch-catalog"))
                .run(progress: { done, total in bar.update("re-embed", done, total) })
        } catch {
            throw CLIError("\(error)")
        }
        if json { return try Output.jsonLine(summary) }
        print("re-embedded \(summary.embedded) catalog photo(s) for model \(summary.modelVersion), \(summary.failed.count) failed\(summary.refitted ? "; projection and thresholds refitted" : "")")
        for f in summary.failed { print("  failed: \(f)") }
        if summary.otherModelsBytes > 0 {
            print("earlier models' catalog embeddings (\(CatalogPruneCommand.megabytes(summary.otherModelsBytes))) are kept so switching back is instant; `flukewatch catalog prune` removes them")
        }
    }
}
