/// Why identification cannot run, worded for the operator.
public enum IdentificationError: Error, CustomStringConvertible {
    case recipe(String)
    case noCatalog(String)
    case modelNotFound([String])
    case catalogTooSmall(individuals: Int)
    case trainedIndividualsUnreadable(String, String)
    /// An evaluation would score photos of whales the network was trained on.
    case evaluatedOnTrainedWhales(model: String, individuals: Int, example: String)
    /// An evaluation that cannot be read as asked (which photo, which package, why).
    case evaluation(String)

    public var description: String {
        switch self {
        case .recipe(let m): "identification recipe: \(m)"
        case .noCatalog(let version):
            "the station has no catalog for model \(version) yet; import one with `flukewatch catalog import CSV` (or, when the catalog was embedded by another model or with `fast_embedding` switched, run `flukewatch catalog reembed`)"
        case .catalogTooSmall(let n):
            "the catalog has \(n) individual(s); thresholds can be calibrated from 2 individuals on (the photos are kept: import more and they will be fitted)"
        case .modelNotFound(let places):
            "no embedding model found (looked in \(places.joined(separator: ", "))); set [identification] model_dir or FLUKEWATCH_MODEL_DIR"
        case .trainedIndividualsUnreadable(let path, let why):
            "cannot read the list of whales the model trained on, \(path): \(why)"
        case .evaluatedOnTrainedWhales(let model, let n, let example):
            "model \(model) was trained on \(n) of the individuals in the labelled set, any of which may become a query (e.g. \(example)): a score on them measures memory, not identification. Evaluate on whales it never saw (tools/train's eval-labels.csv), or pass packages trained on complementary halves with --fine-tuned DIR --fine-tuned DIR"
        case .evaluation(let m): "evaluate: \(m)"
        }
    }
}
