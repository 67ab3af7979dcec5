import ArgumentParser
import FlukeStation
import Foundation
import Logging

struct ReviewServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the review web page on its own (the daemon serves it too when [review] web_listen is set).",
        discussion: """
        Listens on --listen, else [review] web_listen, else 127.0.0.1:8088, and prints the page's address. \
        An address other machines can reach (0.0.0.0, a LAN address) needs [review] web_token. \
        Ctrl-C or SIGTERM stops it.
        """)

    @OptionGroup var station: StationOptions

    @Option(name: .long, help: ArgumentHelp("HOST:PORT to listen on; port 0 picks a free one.", valueName: "HOST:PORT"))
    var listen: String?

    func run() async throws {
        let (config, database) = try station.openDatabase()
        Output.bootstrapLogging(level: config.logLevel)
        var address = config.review.webListen ?? ReviewWebAddress(host: "127.0.0.1", port: 8088)
        if let listen {
            switch ReviewWebAddress.parse(listen, allowAnyPort: true) {
            case .success(let a): address = a
            case .failure(let e): throw CLIError("--listen: \(e)")
            }
        }
        let settings: (ReviewWebAddress, String?)?
        do {
            settings = try config.review.webSettings(listen: address)
        } catch {
            throw CLIError("\(error)")
        }
        guard let (address, token) = settings else { return }
        let logger = Logger(label: "flukewatch")
        let server = ReviewWebServer(config: config, database: database, address: address, token: token, logger: logger,
                                     onListening: { url in
                                         // Unbuffered: whoever started us waits for this line.
                                         FileHandle.standardOutput.write(Data("review page: \(url)\n".utf8))
                                     })
        do {
            try await server.runUntilSignalled(logger: logger)
        } catch let e as ReviewWebError {
            throw CLIError(e.description)
        }
    }
}
