import CFlukeVisionShim

/// A rendered synthetic field photo and where its fluke is.
public struct SyntheticScene {
    public let image: DecodedImage
    /// x, y, width, height of the fluke in the image.
    public let flukeBox: (x: Int, y: Int, width: Int, height: Int)

    /// Renders sky, sea and a fluke whose markings come from `individualSeed` (same seed, same
    /// animal) and whose placement, light and waves come from `sceneSeed`.
    public static func render(width: Int, height: Int, individualSeed: UInt64, sceneSeed: UInt64,
                              noise: Double = 0) throws -> SyntheticScene {
        var out: OpaquePointer?
        var box: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &box) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            try shimCall { fw_render_fluke_scene(Int32(width), Int32(height), individualSeed, sceneSeed, noise, p, &out, $0) }
        }
        return SyntheticScene(image: DecodedImage(handle: out!),
                              flukeBox: (Int(box.0), Int(box.1), Int(box.2), Int(box.3)))
    }
}
