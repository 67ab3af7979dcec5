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
}
