import ArgumentParser

/// `flukewatch`: the field-station daemon and its tools. Each subcommand lives in its own file.
@main
struct FlukeWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flukewatch",
        abstract: "Humpback-whale photo identification on a field station.",
        discussion: """
        Watches camera drop folders, records every photo once in a SQLite log under the state
        directory, and processes it into a sighting. Drop folders are only ever read.
        Config: --config PATH, else $FLUKEWATCH_CONFIG, else /etc/flukewatch/flukewatch.toml;
        with --state-dir (and --watch for `run`) no config file is needed.
        """,
        subcommands: [RunCommand.self, IngestCommand.self, StatusCommand.self, PhotosCommand.self,
                      SightingsCommand.self, EncountersCommand.self, DemoCommand.self, MakeTestPhotosCommand.self, EvaluateCommand.self,
                      CatalogCommand.self, IdentifyCommand.self, ReviewCommand.self, ExportCommand.self,
                      SyncCommand.self])
}
