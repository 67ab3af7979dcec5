/// Why a file was set aside instead of processed. Each case renders as a sentence an operator
/// can act on; the raw `code` is what the database stores and scripts filter on.
public enum QuarantineReason: Sendable, Equatable, Codable {
    case emptyFile
    case notAnImage(detail: String)
    case truncated(detail: String)
    case unreadableHeader(detail: String)
    case tooManyPixels(width: Int, height: Int, limit: Int)
    case decodeFailed(detail: String)
    case crashedProcessor(attempts: Int)

    public var code: String {
        switch self {
        case .emptyFile: "empty-file"
        case .notAnImage: "not-an-image"
        case .truncated: "truncated"
        case .unreadableHeader: "unreadable-header"
        case .tooManyPixels: "too-many-pixels"
        case .decodeFailed: "decode-failed"
        case .crashedProcessor: "crashed-processor"
        }
    }

    public var explanation: String {
        switch self {
        case .emptyFile:
            "the file is empty (0 bytes); the copy probably failed, copy it again from the card"
        case .notAnImage(let detail):
            "the file is not a JPEG, PNG or TIFF image (\(detail)); check what was copied into the drop folder"
        case .truncated(let detail):
            "the image is cut short (\(detail)); the copy was interrupted or the card is damaged, copy it again"
        case .unreadableHeader(let detail):
            "the image header cannot be read (\(detail)); the file is damaged"
        case .tooManyPixels(let w, let h, let limit):
            "the image claims \(w)×\(h) = \(w * h) pixels, above the limit of \(limit) (intake.max_pixels); refused before decoding to protect the board's memory"
        case .decodeFailed(let detail):
            "the image could not be decoded (\(detail)); the file is damaged"
        case .crashedProcessor(let attempts):
            "processing this photo was interrupted \(attempts) times (crash, kill or watchdog); set aside so the station keeps working, inspect the file by hand"
        }
    }
}
