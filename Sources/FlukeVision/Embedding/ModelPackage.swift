import CFlukeEmbed
import Foundation

/// The embedding network as shipped under `models/`: the manifest and the weights file, read
/// once per process and shared by every worker's runtime.
public final class ModelPackage: Sendable {
    /// Names the model in every stored embedding and sighting (`efficientnet-lite0-int8-17ea190c9f13`):
    /// embeddings made by different model files never meet in one ranking.
    public let version: String
    public let directory: String
    let manifest: ModelManifest
    let weights: Data

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case unreadable(String, String)
        case badManifest(String, String)
        case checksum(String, expected: String, found: String)

        public var description: String {
            switch self {
            case .missing(let dir):
                "no embedding model in \(dir) (expected efficientnet-lite0-int8.json and .bin); set [identification] model_dir or reinstall the package"
            case .unreadable(let path, let why): "cannot read the model file \(path): \(why)"
            case .badManifest(let path, let why): "the model manifest \(path) is not valid: \(why)"
            case .checksum(let path, let expected, let found):
                "the model weights \(path) are damaged (sha256 \(found.prefix(12))…, the manifest expects \(expected.prefix(12))…); reinstall the package"
            }
        }
    }

    public static let manifestName = "efficientnet-lite0-int8.json"

    public init(directory: String) throws {
        let manifestPath = (directory as NSString).appendingPathComponent(Self.manifestName)
        guard FileManager.default.fileExists(atPath: manifestPath) else { throw LoadError.missing(directory) }
        let manifestData: Data
        do {
            manifestData = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
        } catch {
            throw LoadError.unreadable(manifestPath, error.localizedDescription)
        }
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: manifestData)
        } catch {
            throw LoadError.badManifest(manifestPath, "\(error)")
        }
        guard manifest.format == "flukewatch-qs8-manifest", manifest.formatVersion == 1 else {
            throw LoadError.badManifest(manifestPath, "format \(manifest.format) version \(manifest.formatVersion) is not supported by this FlukeWatch")
        }
        let binPath = (directory as NSString).appendingPathComponent(manifest.bin.file)
        do {
            weights = try Data(contentsOf: URL(fileURLWithPath: binPath), options: .mappedIfSafe)
        } catch {
            throw LoadError.unreadable(binPath, error.localizedDescription)
        }
        let digest = SHA256Hex.of(weights)
        guard digest == manifest.bin.sha256.lowercased(), weights.count == manifest.bin.nbytes else {
            throw LoadError.checksum(binPath, expected: manifest.bin.sha256, found: digest)
        }
        self.directory = directory
        self.version = "\(manifest.model)-int8-\(digest.prefix(12))"
    }

    /// Names of the feature maps the network can return (`s16_c80`, `pooled`, …).
    public var outputNames: [String] { manifest.outputs.keys.sorted() }

    /// Shape (H, W, C) of an output, or of any other named tensor (`b2_out`).
    public func outputShape(_ name: String) -> (height: Int, width: Int, channels: Int)? {
        guard let id = tensorID(name) else { return nil }
        let s = manifest.tensors[id].shapeNHWC
        return s.count == 4 ? (s[1], s[2], s[3]) : nil
    }

    /// The id of a tensor by name: a declared output, else any tensor of the graph (a block's
    /// output that views can be made at).
    func tensorID(_ name: String) -> Int? {
        if let id = manifest.outputs[name], id < manifest.tensors.count { return id }
        return manifest.tensors.first { $0.name == name }?.id
    }
}
