import ArgumentParser
import FlukeMatch
import FlukeStation
import FlukeStore
import Foundation

struct IdentifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Rank the catalog's individuals for photos and decide match, uncertain or new.")

    @OptionGroup var station: StationOptions

    @Argument(help: ArgumentHelp("Photos to identify.", valueName: "IMAGE"))
    var images: [String]

    @Option(name: .long, help: "Candidates listed per photo.")
    var top: Int = 5

    @Option(name: .long, help: "fluke: crop to the fluke first; none: the photos are already cropped.")
    var crop: CropMode = .fluke

    @Flag(name: .long, help: "One JSON object per image: {\"file\", \"decision\", \"candidates\": [{\"individual\", \"score\"}], \"usefulness\", \"unusable_because\": [...], \"verified\"}.")
    var json = false

    struct Line: Encodable {
        struct Candidate: Encodable {
            var individual: String
            var score: Double
        }
        var file: String
        var decision: String?
        var candidates: [Candidate]?
        /// 0...1 (`PhotoUsefulness.score`), and why the photo cannot be called new (empty: usable).
        var usefulness: Double?
        var unusableBecause: [String]?
        /// Whether the leaders were checked by local features (false: the leader was beyond doubt).
        var verified: Bool?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case file, decision, candidates, usefulness, error, verified
            case unusableBecause = "unusable_because"
        }
    }

    func run() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        let (config, database) = try station.openDatabase()
        let package = try ModelLocator.load(configured: config.modelDirectory)
        let overrides = ThresholdOverrides(newThreshold: config.thresholdNew, matchThreshold: config.thresholdMatch)
        let version = package.featureVersion(config.recipe)
        guard let index = try CatalogIndex.load(store: CatalogStore(database: database), modelVersion: version,
                                                overrides: overrides, gate: config.verificationGate) else {
            throw CLIError("\(IdentificationError.noCatalog(version))")
        }
        // Local features on demand, as in the daemon: a photo whose leader is beyond doubt is not verified.
        let features = PhotoFeatures(extractor: try FeatureExtractor(package: package, recipe: index.recipe, localFeatures: false))
        for image in images {
            var line = Line(file: image)
            do {
                let extraction = try features.extract(try PhotoFeatures.readBytes(image), crop: crop)
                let call = try index.call(extraction, topK: top, limits: config.usefulness)
                let candidates = call.candidates
                line.decision = call.decision.rawValue
                line.usefulness = extraction.usefulness.score(under: config.usefulness)
                line.unusableBecause = call.problems
                line.verified = call.verified
                line.candidates = candidates.map { .init(individual: $0.individual, score: Double($0.score)) }
            } catch {
                line.error = "\(error)"
            }
            if json {
                try Output.jsonLine(line)
            } else if let error = line.error {
                print("\(image): error: \(error)")
            } else {
                let list = (line.candidates ?? []).map { String(format: "%@ %.3f", $0.individual, $0.score) }.joined(separator: ", ")
                let unusable = (line.unusableBecause ?? []).isEmpty ? "" : "  (unusable: \(line.unusableBecause!.joined(separator: ", ")))"
                print("\(image): \(line.decision ?? "?")  [\(list)]\(unusable)")
            }
        }
    }
}
