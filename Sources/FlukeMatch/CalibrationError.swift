/// Why thresholds could not be calibrated from a catalog.
public enum CalibrationError: Error, Equatable, CustomStringConvertible {
    case labelsDoNotMatchRows(rows: Int, labels: Int)
    case tooFewIndividuals(have: Int, folds: Int)
    case nothingToSimulate
    case invalidParameter(String)
    case projection(ProjectionError)
    case gallery(GalleryError)
    case policy(DecisionPolicyError)
    case reranking(String)

    public var description: String {
        switch self {
        case .labelsDoNotMatchRows(let rows, let labels):
            return "\(rows) catalog embeddings but \(labels) labels"
        case .tooFewIndividuals(let have, let folds):
            return "calibration with \(folds) folds needs at least \(max(folds, 2)) individuals, the catalog has \(have)"
        case .nothingToSimulate:
            return "the catalog is empty: there is nothing to calibrate thresholds on"
        case .invalidParameter(let why):
            return "invalid calibration parameter: \(why)"
        case .projection(let error):
            return "calibration could not fit a fold's projection: \(error)"
        case .gallery(let error):
            return "calibration could not rank: \(error)"
        case .policy(let error):
            return "calibration produced unusable thresholds: \(error)"
        case .reranking(let why):
            return "calibration could not verify a simulated query: \(why)"
        }
    }
}
