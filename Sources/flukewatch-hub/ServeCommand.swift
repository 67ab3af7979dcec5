import ArgumentParser
import FlukeHub
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the hub's API until SIGTERM or Ctrl-C.")

    @OptionGroup var hub: HubOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0: any free port, printed at start).", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:8600"

    @Option(name: .customLong("max-batch-bytes"), help: "Largest batch body accepted (413 above).")
    var maxBatchBytes = HubLimits().maxBatchBytes

    @Option(name: .customLong("max-crop-bytes"), help: "Largest crop accepted (413 above): crops are thumbnails, not frames.")
    var maxCropBytes = HubLimits().maxCropBytes

    @Option(name: .customLong("rate"), help: "Requests per second per token (429 above).")
    var rate = HubLimits().requestsPerSecond

    @Option(name: .customLong("burst"), help: "Requests a token may make at once before the rate applies.")
    var burst = HubLimits().burst

    @Option(name: .customLong("anonymous-rate"), help: "Requests per second per client address without a valid token (429 above).")
    var anonymousRate = HubLimits().anonymousPerSecond

    @Option(name: .customLong("anonymous-burst"), help: "Requests without a valid token an address may make at once.")
    var anonymousBurst = HubLimits().anonymousBurst

    @Flag(name: .customLong("trust-forwarded-for"), help: "Behind a reverse proxy on loopback: count requests without a token under X-Forwarded-For's last address.")
    var trustForwardedFor = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen expects HOST:PORT, e.g. 127.0.0.1:8600; got \"\(listen)\"")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \"\(logLevel)\"")
        }
        guard maxBatchBytes >= 1024, maxCropBytes >= 1024, rate > 0, burst >= 1, anonymousRate > 0, anonymousBurst >= 1 else {
            throw ValidationError("--max-batch-bytes and --max-crop-bytes must be at least 1024, --rate and --anonymous-rate above 0, --burst and --anonymous-burst at least 1")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "flukewatch-hub")
        let (storage, described) = try await hub.open(logger: logger)
        var limits = HubLimits()
        limits.maxBatchBytes = maxBatchBytes
        limits.maxCropBytes = maxCropBytes
        limits.requestsPerSecond = rate
        limits.burst = burst
        limits.anonymousPerSecond = anonymousRate
        limits.anonymousBurst = anonymousBurst
        limits.trustForwardedFor = trustForwardedFor
        try await HubServer(storage: storage, limits: limits).run(host: host, port: port, logger: logger) { bound in
            // One plain line on stdout that scripts (and the tests) wait for.
            FileHandle.standardOutput.write(Data("flukewatch-hub listening on \(host):\(bound) (\(described))\n".utf8))
        }
    }
}
