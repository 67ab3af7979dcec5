import FlukeCore
import FlukeVision
import Foundation

/// A photo's bytes as a small upright JPEG, for pages and reports (catalog photos on the review
/// page, failure pairs in the evaluation report). Decodes at reduced size, as the station does.
enum PhotoThumbnail {
    static func jpeg(of bytes: [UInt8], maxSide: Int, quality: Int = 82) -> [UInt8]? {
        guard case .image(let header)? = try? ImageInspector.inspect(MemoryBytes(bytes), maxPixels: 150_000_000) else { return nil }
        let orientation = (try? EXIFReader.read(MemoryBytes(bytes)))?.orientation ?? .up
        guard let image = try? PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: maxSide),
                                                   orientation: orientation) else { return nil }
        return try? image.jpegData(maxSide: maxSide, quality: quality)
    }

    /// The fluke (as the station's finder places it, plus a margin) in a `width`×`height` frame,
    /// widened with the photo around it to that shape rather than distorted: what a reviewer
    /// compares. With `findFluke` false (catalogs of photos already cropped) the whole photo.
    /// Decodes at the station's analysis size, so the crop matches what was identified.
    static func flukeCrop(of bytes: [UInt8], width: Int, height: Int, findFluke: Bool,
                          analysisSize: Int, quality: Int = 85) -> [UInt8]? {
        guard case .image(let header)? = try? ImageInspector.inspect(MemoryBytes(bytes), maxPixels: 150_000_000) else { return nil }
        let orientation = (try? EXIFReader.read(MemoryBytes(bytes)))?.orientation ?? .up
        guard let image = try? PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: analysisSize),
                                                   orientation: orientation) else { return nil }
        // No fluke found (or none asked for): the whole photo, in the same frame.
        let box: FlukeBox? = findFluke ? (try? FlukeFinder.find(in: image)) ?? nil : nil
        guard let crop = try? FlukeFinder.crop(image, to: box, margin: 2 * FlukeFinder.defaultMargin, width: width,
                                               height: height, fit: .keepAspect) else { return nil }
        return try? crop.jpegData(quality: quality)
    }
}
