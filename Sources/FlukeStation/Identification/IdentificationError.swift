/// Why identification cannot run, worded for the operator.
public enum IdentificationError: Error, CustomStringConvertible {
    case recipe(String)
    case noCatalog(String)
    case modelNotFound([String])
    case catalogTooSmall(individuals: Int)

    public var description: String {
        switch self {
        case .recipe(let m): "identification recipe: \(m)"
        case .noCatalog(let version):
            "the station has no catalog for model \(version) yet; import one with `flukewatch catalog import CSV`"
        case .catalogTooSmall(let n):
            "the catalog has \(n) individual(s); thresholds can be calibrated from 2 individuals on (the photos are kept: import more and they will be fitted)"
        case .modelNotFound(let places):
            "no embedding model found (looked in \(places.joined(separator: ", "))); set [identification] model_dir or FLUKEWATCH_MODEL_DIR"
        }
    }
}
