import CFlukeVisionShim

/// Other looks at the network's square input, for averaging an embedding over small rotations
/// and zooms: marks seen a few degrees off, or from a little closer, should embed alike.
public enum RGBView {
    /// `rgb`: `size`×`size` packed RGB. Rotated counter-clockwise by `degrees` and zoomed by
    /// `zoom` about the centre (bilinear, edges replicated).
    public static func warped(_ rgb: [UInt8], size: Int, degrees: Double, zoom: Double) throws -> [UInt8] {
        precondition(rgb.count == size * size * 3, "an RGB square of \(size)×\(size)")
        var out = [UInt8](repeating: 0, count: rgb.count)
        try rgb.withUnsafeBufferPointer { source in
            try out.withUnsafeMutableBufferPointer { dest in
                try shimCall { fw_rgb_view(source.baseAddress, Int32(size), degrees, zoom, dest.baseAddress, $0) }
            }
        }
        return out
    }
}
