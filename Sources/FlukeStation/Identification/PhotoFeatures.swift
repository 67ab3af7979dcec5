import FlukeCore
import FlukeVision
import Foundation

/// Reads a photo file and returns its identity and raw feature vector: the path `catalog
/// import`, `identify` and `evaluate` share (the daemon reuses its own decode instead).
public struct PhotoFeatures {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case rejected(QuarantineReason)
        case decode(String)

        public var description: String {
            switch self {
            case .unreadable(let why): "cannot read the file: \(why)"
            case .rejected(let reason): reason.explanation
            case .decode(let why): "cannot decode the image: \(why)"
            }
        }
    }

    let extractor: FeatureExtractor
    let maxPixels: Int

    public init(extractor: FeatureExtractor, maxPixels: Int = 150_000_000) {
        self.extractor = extractor
        self.maxPixels = maxPixels
    }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        guard let bytes = PhotoProcessor.readWholeFile(path) else {
            throw Failure.unreadable(FileManager.default.fileExists(atPath: path) ? "permission denied or I/O error" : "no such file")
        }
        return bytes
    }

    /// Decodes (reduced, upright) and extracts the feature vector.
    public func vector(of bytes: [UInt8], crop: CropMode) throws -> [Float] {
        try extract(bytes, crop: crop).vectors[0]
    }

    /// Decodes (reduced, upright) and extracts every recipe's vector and the photo's usefulness.
    public func extract(_ bytes: [UInt8], crop: CropMode) throws -> FeatureExtractor.Extraction {
        let header: ImageHeader
        switch try ImageInspector.inspect(MemoryBytes(bytes), maxPixels: maxPixels) {
        case .image(let h): header = h
        case .quarantine(let reason): throw Failure.rejected(reason)
        }
        let orientation = (try? EXIFReader.read(MemoryBytes(bytes)))?.orientation ?? .up
        let image: DecodedImage
        do {
            image = try PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: 512), orientation: orientation)
        } catch {
            throw Failure.decode("\(error)")
        }
        let rotated = [ImageOrientation.leftMirrored, .right, .rightMirrored, .left].contains(orientation)
        return try extractor.extract(from: image, crop: crop, fullWidth: rotated ? header.height : header.width)
    }
}
