import ArgumentParser

/// `flukewatch-hub`: the research group's central server. Each subcommand lives in its own file.
@main
struct FlukeWatchHub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flukewatch-hub",
        abstract: "The central hub FlukeWatch stations sync with.",
        discussion: """
        Stations send sightings, new-individual candidates and review decisions; curators promote
        and merge candidates into global individuals; stations pull the catalog's changes back.
        The protocol is openapi/flukewatch-hub.yaml. Serve plain HTTP on loopback and put a
        TLS-terminating reverse proxy in front of it.
        """,
        subcommands: [ServeCommand.self, StationCommand.self, CuratorCommand.self])
}
