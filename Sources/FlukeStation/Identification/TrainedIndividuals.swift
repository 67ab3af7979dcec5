import FlukeVision
import Foundation

/// The individuals a model package's network was trained on, read from the package's
/// `trained-individuals.txt` (one individual id per line; blank lines and `#` comments ignored).
/// tools/train writes it beside the weights; the ImageNet package has none, so it trained on no whale.
///
/// `flukewatch evaluate` reads it to keep its promise that no photo is scored by a network that
/// saw the photo's whale in training: such a score measures memory, not identification.
public struct TrainedIndividuals: Sendable, Equatable {
    public static let fileName = "trained-individuals.txt"

    public let ids: Set<String>

    public init(_ ids: Set<String>) { self.ids = ids }

    /// The package's list; empty when the package has none.
    public init(package: ModelPackage) throws {
        let path = (package.directory as NSString).appendingPathComponent(Self.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            self.init([])
            return
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IdentificationError.trainedIndividualsUnreadable(path, error.localizedDescription)
        }
        self.init(Self.parse(text))
    }

    static func parse(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: \.isNewline).compactMap { line in
            let id = line.trimmingCharacters(in: .whitespaces)
            return id.isEmpty || id.hasPrefix("#") ? nil : id
        })
    }

    public func contains(_ individual: String) -> Bool { ids.contains(individual) }
}
