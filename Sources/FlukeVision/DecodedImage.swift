import CFlukeVisionShim
import FlukeCore

/// A failure inside OpenCV, carried across the C shim as text.
public struct VisionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func from(_ error: fw_error) -> VisionError {
        var copy = error
        let text = withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return VisionError(text.isEmpty ? "unknown vision error" : text)
    }
}

/// Calls a shim function and turns its non-zero return into a thrown VisionError.
@inline(__always)
func shimCall(_ body: (UnsafeMutablePointer<fw_error>) -> Int32) throws {
    var error = fw_error()
    if body(&error) != 0 { throw VisionError.from(error) }
}

/// An upright 8-bit BGR image owned by OpenCV. One owner, one thread at a time.
public final class DecodedImage {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }
    deinit { fw_image_free(handle) }

    public var width: Int {
        var w: Int32 = 0, h: Int32 = 0
        fw_image_size(handle, &w, &h)
        return Int(w)
    }

    public var height: Int {
        var w: Int32 = 0, h: Int32 = 0
        fw_image_size(handle, &w, &h)
        return Int(h)
    }

    /// Wraps packed BGR pixels (width × height × 3 bytes).
    public convenience init(bgr pixels: [UInt8], width: Int, height: Int) throws {
        precondition(pixels.count == width * height * 3, "BGR buffer size must be width*height*3")
        var out: OpaquePointer?
        try shimCall { fw_image_from_bgr(pixels, Int32(width), Int32(height), &out, $0) }
        self.init(handle: out!)
    }

    /// Packed BGR pixels, row by row.
    public func bgrPixels() throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let capacity = pixels.count
        try pixels.withUnsafeMutableBufferPointer { buffer in
            try shimCall { fw_image_copy_bgr(handle, buffer.baseAddress, capacity, $0) }
        }
        return pixels
    }

    /// Packed RGB pixels of the image resized to `width`×`height` (the network's input).
    public func resizedRGB(width: Int, height: Int) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let capacity = pixels.count
        try pixels.withUnsafeMutableBufferPointer { buffer in
            try shimCall { fw_image_resized_rgb(handle, Int32(width), Int32(height), buffer.baseAddress, capacity, $0) }
        }
        return pixels
    }

    /// JPEG bytes, shrunk so the long side is at most `maxSide` (0 keeps the size).
    public func jpegData(maxSide: Int = 0, quality: Int = 90) throws -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        var length = 0
        try shimCall { fw_encode_jpeg(handle, Int32(maxSide), Int32(quality), &buffer, &length, $0) }
        defer { fw_buffer_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: length))
    }

    /// PNG or TIFF bytes (lossless; for fixtures and exports).
    public func losslessData(_ format: ImageFormat) throws -> [UInt8] {
        precondition(format != .jpeg, "use jpegData for JPEG")
        var buffer: UnsafeMutablePointer<UInt8>?
        var length = 0
        try shimCall { fw_encode_lossless(handle, format == .tiff ? 2 : 1, &buffer, &length, $0) }
        defer { fw_buffer_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: length))
    }

    /// Sharpness, exposure and clipping; `fullSize` is the photo's upright full-resolution size.
    public func quality(fullWidth: Int, fullHeight: Int) throws -> QualityMeasures {
        var q = fw_quality()
        try shimCall { fw_measure_quality(handle, &q, $0) }
        return QualityMeasures(sharpness: q.sharpness, meanLuminance: q.mean_luminance,
                               clippedHighlights: q.clipped_highlights, clippedShadows: q.clipped_shadows,
                               width: fullWidth, height: fullHeight)
    }
}
