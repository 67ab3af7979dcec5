/// Why a projection could not be fitted, applied or read back.
public enum ProjectionError: Error, Equatable, CustomStringConvertible {
    case labelsDoNotMatchRows(rows: Int, labels: Int)
    case tooFewRows(Int)
    case tooFewIndividuals(Int)
    case invalidParameter(String)
    case dimensionMismatch(expected: Int, got: Int)
    case linearAlgebra(LinearAlgebraError)
    // Reading serialised bytes
    case truncated(needed: Int, available: Int)
    case notAProjection
    case unsupportedVersion(UInt16)
    case checksumMismatch
    case corruptHeader(String)

    public var description: String {
        switch self {
        case .labelsDoNotMatchRows(let rows, let labels):
            return "\(rows) feature rows but \(labels) labels"
        case .tooFewRows(let n):
            return "a projection needs at least 3 catalog photos to fit, got \(n)"
        case .tooFewIndividuals(let n):
            return "a projection needs at least 2 individuals to fit, got \(n)"
        case .invalidParameter(let why):
            return "invalid projection parameter: \(why)"
        case .dimensionMismatch(let expected, let got):
            return "input has \(got) values but the projection expects \(expected)"
        case .linearAlgebra(let error):
            return "projection fit failed: \(error)"
        case .truncated(let needed, let available):
            return "projection data is truncated: \(needed) bytes needed, \(available) present"
        case .notAProjection:
            return "these bytes are not a FlukeWatch projection (bad magic)"
        case .unsupportedVersion(let v):
            return "projection format version \(v) is newer than this build understands (\(Projection.formatVersion))"
        case .checksumMismatch:
            return "projection data is corrupt (CRC-32 mismatch)"
        case .corruptHeader(let why):
            return "projection header is inconsistent: \(why)"
        }
    }
}
