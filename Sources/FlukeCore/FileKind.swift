/// What a file in a drop folder is to FlukeWatch, decided from its name alone.
public enum FileKind: Sendable, Equatable {
    /// A photo to identify (JPEG, PNG or TIFF).
    case photo
    /// A camera RAW file: recorded beside the JPEG with the same stem, never decoded.
    case rawSidecar
    /// Hidden files, partial downloads and editor leftovers.
    case ignoredTemporary
    /// Anything else (videos, XMP, text); left alone.
    case ignoredOther

    public static let photoExtensions: Set<String> = ["jpg", "jpeg", "png", "tif", "tiff"]
    public static let rawExtensions: Set<String> = ["cr2", "cr3", "nef", "arw", "dng", "orf", "raf"]
    static let temporarySuffixes = [".part", "~", ".tmp", ".crdownload", ".partial", ".swp"]

    /// Classifies a bare file name (no directories).
    public static func classify(fileName name: String) -> FileKind {
        if name.isEmpty || name.hasPrefix(".") { return .ignoredTemporary }
        let lower = name.lowercased()
        if temporarySuffixes.contains(where: { lower.hasSuffix($0) }) { return .ignoredTemporary }
        guard let dot = lower.lastIndex(of: "."), dot != lower.startIndex else { return .ignoredOther }
        let ext = String(lower[lower.index(after: dot)...])
        if photoExtensions.contains(ext) { return .photo }
        if rawExtensions.contains(ext) { return .rawSidecar }
        return .ignoredOther
    }

    /// The file name without its last extension: `IMG_0042.CR2` and `IMG_0042.JPG` share `IMG_0042`.
    public static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
