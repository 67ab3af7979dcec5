import ArgumentParser
import FlukeStation
import FlukeStore
import Foundation

struct CatalogPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove catalog embeddings and fits of models the station no longer uses.",
        discussion: """
            Keeps everything of the installed model and recipe (as the config sets them). A catalog photo the installed model \
            has not embedded keeps its older embeddings, and their version keeps its fit (`flukewatch catalog reembed` embeds \
            such photos, or says why it cannot). Sightings keep their embeddings. Switching back to a pruned model later re-embeds the catalog from its \
            original files. Safe while the daemon runs; --vacuum refuses to run until the daemon is stopped.
            """)

    @OptionGroup var station: StationOptions

    @Flag(name: .customLong("dry-run"), help: "Say what would be removed; remove nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Afterwards shrink the database file (SQLite VACUUM; needs free disk the size of the database). Otherwise the freed space is reused by new rows.")
    var vacuum = false

    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    func run() throws {
        let (config, database) = try station.openDatabase()
        let inUse = try ModelLocator.load(configured: config.modelDirectory).featureVersion(config.recipe)
        // VACUUM rewrites the whole file: not under a running daemon, which would stall or fail.
        let daemonStopped: StateDirectoryLock?
        do {
            daemonStopped = vacuum && !dryRun ? try StateDirectoryLock.acquire(stateDirectory: config.stateDirectory) : nil
        } catch StateDirectoryLockError.held(let directory, let pid) {
            throw CLIError("the FlukeWatch daemon\(pid.map { " (pid \($0))" } ?? "") is running on \(directory): --vacuum needs it stopped (`systemctl stop flukewatch`). Nothing was removed; `flukewatch catalog prune` without --vacuum is safe while it runs.")
        } catch {
            throw CLIError("\(error)")
        }
        defer { daemonStopped?.release() }
        let summary: CatalogStore.PruneSummary
        do {
            summary = try CatalogStore(database: database).prune(keeping: inUse, dryRun: dryRun)
        } catch {
            throw CLIError("catalog prune of \(config.databasePath) failed and removed nothing: \(error)")
        }
        if vacuum, !dryRun {
            do { try database.compact() } catch {
                throw CLIError("pruned, but shrinking \(config.databasePath) failed: \(error). The freed space is still reused by new rows; stop the daemon, check free disk and run `flukewatch catalog prune --vacuum` again.")
            }
        }
        if json { return try Output.jsonLine(summary) }
        let verb = dryRun ? "would remove" : "removed"
        print("model in use: \(summary.modelVersion)")
        print("\(verb) \(summary.removedEmbeddings) catalog embedding(s) of other models (\(Self.megabytes(summary.removedEmbeddingBytes)))"
              + " and \(summary.removedFits.count) fit(s) (\(Self.megabytes(summary.removedFitBytes)))")
        if summary.keptEmbeddings > 0 {
            print("kept \(summary.keptEmbeddings) older embedding(s): their photos have none of the model in use; `flukewatch catalog reembed` says why")
        }
        if !dryRun, !vacuum, summary.removedEmbeddings + summary.removedFits.count > 0 {
            print("the database reuses the freed space; to shrink the file, stop the daemon and run again with --vacuum")
        }
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}
