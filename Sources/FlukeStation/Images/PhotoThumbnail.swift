import FlukeCore
import FlukeVision
import Foundation

/// A photo's bytes as small upright JPEGs, for pages, reports and the hub: the whole frame
/// (catalog photos on the review page, failure pairs in the evaluation report) or the fluke crop.
/// Decodes at reduced size, as the station does.
enum PhotoThumbnail {
    static func jpeg(of bytes: [UInt8], maxSide: Int, quality: Int = 82) -> [UInt8]? {
        try? decodeUpright(bytes, minLongSide: maxSide)?.jpegData(maxSide: maxSide, quality: quality)
    }

    /// The fluke crop of a photo's bytes, decoded at the station's analysis size so the crop
    /// matches what was identified. With `findFluke` false (catalogs of photos already cropped),
    /// or when no fluke is found, the whole photo in the same frame.
    static func flukeCrop(of bytes: [UInt8], width: Int, findFluke: Bool, analysisSize: Int) -> [UInt8]? {
        guard let image = decodeUpright(bytes, minLongSide: analysisSize) else { return nil }
        let box: FlukeBox? = findFluke ? (try? FlukeFinder.find(in: image)) ?? nil : nil
        return try? flukeCrop(of: image, box: box, width: width)
    }

    /// The fluke (the finder's box plus a margin) in a `width` × 3/4 `width` frame, widened with
    /// the photo around it to that shape rather than distorted: what a reviewer compares side by
    /// side, whatever the photo's size. Nil box: the whole photo.
    static func flukeCrop(of image: DecodedImage, box: FlukeBox?, width: Int) throws -> [UInt8] {
        try FlukeFinder.crop(image, to: box, margin: 2 * FlukeFinder.defaultMargin, width: width, height: width * 3 / 4,
                             fit: .keepAspect).jpegData(quality: 85)
    }

    /// The photo upright, decoded at the smallest reduction that keeps `minLongSide` (nil: not an image).
    static func decodeUpright(_ bytes: [UInt8], minLongSide: Int) -> DecodedImage? {
        guard case .image(let header)? = try? ImageInspector.inspect(MemoryBytes(bytes), maxPixels: 150_000_000) else { return nil }
        let orientation = (try? EXIFReader.read(MemoryBytes(bytes)))?.orientation ?? .up
        return try? PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: minLongSide),
                                        orientation: orientation)
    }
}
