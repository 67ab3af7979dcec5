import CFlukeVisionShim

/// Where the fluke is in a photo, in that photo's pixels.
public struct FlukeBox: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    /// 0...1: how strongly the region stands out from the water, and how much of everything that
    /// stands out it is. The 41 real test photos score 0.65-1.0 (median 0.99), the hardest (a
    /// pale fluke in spray, a white underside on blue water) lowest.
    public var confidence: Double

    public init(x: Int, y: Int, width: Int, height: Int, confidence: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.confidence = confidence
    }
}

/// Finds the fluke in a field photo and cuts the crop the embedding reads.
///
/// Classical image processing over OpenCV (FlukeFinder.cpp explains the steps; tools/crop-check
/// measures them on real and synthetic photos). It works on a copy shrunk to a long side of
/// about 384 pixels, so its cost hardly depends on the size the photo was decoded at.
public enum FlukeFinder {
    /// How a box is made the shape of the (square) crop.
    public enum Fit: Sendable, Equatable {
        /// Stretched to the crop, but by at most 2.5 times: a more elongated box first takes in
        /// photo above and below. The fluke fills the crop (twice the pixels of `.keepAspect` on
        /// synthetic scenes) and lands in the same place every time.
        case stretch
        /// Widened with the photo around it to the crop's shape; what lies outside the photo is
        /// filled with the mean colour along its edge. The fluke keeps its proportions.
        case keepAspect
    }

    /// The margin the pipeline uses: 8% of the box on each side, for tips the finder shaved.
    public static let defaultMargin = 0.08

    /// The fluke's box, or nil when nothing in the photo looks like one (a blank sea, a grey
    /// frame). Throws only when OpenCV fails.
    public static func find(in image: DecodedImage) throws -> FlukeBox? {
        var box = fw_fluke_box()
        try shimCall { fw_find_fluke(image.handle, &box, $0) }
        guard (box.flags & FW_FLUKE_FOUND) != 0 else { return nil }
        return FlukeBox(x: Int(box.x), y: Int(box.y), width: Int(box.width), height: Int(box.height),
                        confidence: box.confidence)
    }

    /// A `size` × `size` crop of `box` grown by `margin` times its width on the left and on the
    /// right and times its height above and below. A nil box means the whole photo (`--crop
    /// none`, and the fallback when nothing was found). Whatever falls outside the photo is
    /// filled with the mean colour along the photo's edge. Throws for a size outside 1...8192.
    public static func crop(_ image: DecodedImage, to box: FlukeBox?, margin: Double, size: Int,
                            fit: Fit = .stretch) throws -> DecodedImage {
        try crop(image, to: box, margin: margin, width: size, height: size, fit: fit)
    }

    /// The box (plus margin) as a `width`×`height` image; nil box: the whole photo.
    public static func crop(_ image: DecodedImage, to box: FlukeBox?, margin: Double, width: Int, height: Int,
                            fit: Fit) throws -> DecodedImage {
        let b = box ?? FlukeBox(x: 0, y: 0, width: 0, height: 0, confidence: 0)
        let mode = fit == .stretch ? FW_CROP_STRETCH : FW_CROP_KEEP_ASPECT
        var out: OpaquePointer?
        try shimCall {
            fw_crop_fit(image.handle, Int32(clamping: b.x), Int32(clamping: b.y), Int32(clamping: b.width),
                        Int32(clamping: b.height), Float(margin), Int32(clamping: width), Int32(clamping: height), mode, &out, $0)
        }
        return DecodedImage(handle: out!)
    }
}
