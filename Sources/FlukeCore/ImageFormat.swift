/// The image containers FlukeWatch accepts.
public enum ImageFormat: String, Sendable, Codable {
    case jpeg, png, tiff
}

/// What a photo's header says, read before any decoding.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }

    public var pixelCount: Int { width * height }
}
