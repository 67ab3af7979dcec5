import FlukeVision
import Foundation

/// Finds the model package: `[identification] model_dir`, then `$FLUKEWATCH_MODEL_DIR`, then
/// beside the installed binary (`../share/flukewatch/models`), the system locations, and finally
/// `models/` of a source checkout (for `swift run` and the tests).
public enum ModelLocator {
    public static func candidates(configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var out: [String] = []
        if let configured { out.append(configured) }
        if let env = environment["FLUKEWATCH_MODEL_DIR"], !env.isEmpty { out.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        out.append(exe.appendingPathComponent("../share/flukewatch/models").standardizedFileURL.path)
        out += ["/usr/share/flukewatch/models", "/usr/local/share/flukewatch/models"]
        out.append(FileManager.default.currentDirectoryPath + "/models")
        // A source checkout: .build/<config>/flukewatch → ../../models
        out.append(exe.appendingPathComponent("../../models").standardizedFileURL.path)
        out.append(exe.appendingPathComponent("../../../models").standardizedFileURL.path)
        return out
    }

    /// The first candidate that holds a model; an explicit setting must work or it is an error.
    public static func load(configured: String?) throws -> ModelPackage {
        if let configured { return try ModelPackage(directory: configured) }
        let places = candidates(configured: nil)
        for dir in places where FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent(ModelPackage.manifestName)) {
            return try ModelPackage(directory: dir)
        }
        throw IdentificationError.modelNotFound(places)
    }
}
