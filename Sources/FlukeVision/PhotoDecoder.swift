import CFlukeVisionShim
import FlukeCore

/// Decodes photos only as large as the next step needs: libjpeg's DCT scaling decodes a 12 MP
/// JPEG at 1/2, 1/4 or 1/8 several times faster than a full decode.
public enum PhotoDecoder {
    /// Uses one OpenCV thread: a board runs one photo per worker thread instead.
    public static func configureForWorkers() { fw_set_threads(1) }

    /// Gives freed heap pages back to the system after a large transient load (a catalog).
    public static func releaseFreeMemory() { fw_release_free_memory() }

    /// The largest reduction (1, 2, 4, 8) that keeps the long side at or above `minLongSide`.
    public static func reduction(for header: ImageHeader, minLongSide: Int) -> Int {
        let long = max(header.width, header.height)
        var factor = 1
        for candidate in [2, 4, 8] where long / candidate >= minLongSide { factor = candidate }
        return factor
    }

    /// Decodes and turns upright. Throws VisionError when the data cannot be decoded.
    public static func decode(_ bytes: [UInt8], reduction: Int = 1, orientation: ImageOrientation = .up) throws -> DecodedImage {
        var out: OpaquePointer?
        try bytes.withUnsafeBufferPointer { buffer in
            try shimCall { fw_decode(buffer.baseAddress, buffer.count, Int32(reduction), Int32(orientation.rawValue), &out, $0) }
        }
        return DecodedImage(handle: out!)
    }
}
