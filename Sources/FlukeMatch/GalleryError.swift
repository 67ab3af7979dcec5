/// Why a gallery operation was refused. The gallery is left unchanged when one is thrown.
public enum GalleryError: Error, Equatable, CustomStringConvertible {
    case dimensionMismatch(expected: Int, got: Int)
    case parallelArraysDiffer(rows: Int, individuals: Int, photoKeys: Int)
    case duplicatePhotoKey(String)
    case unknownPhotoKey(String)
    case topKNotPositive(Int)
    case tooLargeForBLAS(rows: Int)

    public var description: String {
        switch self {
        case .dimensionMismatch(let expected, let got):
            return "embedding has \(got) values but the gallery holds \(expected)-dimensional embeddings"
        case .parallelArraysDiffer(let rows, let individuals, let keys):
            return "\(rows) embeddings, \(individuals) individual ids and \(keys) photo keys: they must be parallel"
        case .duplicatePhotoKey(let key):
            return "photo '\(key)' is already in the gallery"
        case .unknownPhotoKey(let key):
            return "photo '\(key)' is not in the gallery"
        case .topKNotPositive(let k):
            return "topK must be at least 1, got \(k)"
        case .tooLargeForBLAS(let rows):
            return "\(rows) rows exceed what a 32-bit BLAS index can address"
        }
    }
}
