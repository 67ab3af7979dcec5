import CFlukeVisionShim

/// SIFT keypoints with RootSIFT descriptors of one crop, for geometric verification: the count
/// of matches two crops share under one similarity transform is strong evidence that they show
/// the same marks (see FlukeLocalFeatures.h for the blob format the database stores).
public struct LocalFeatures: Sendable, Equatable {
    public let blob: [UInt8]

    /// At most this many keypoints per crop: enough for the marks of a 224×224 crop, and a
    /// bounded cost (~19 KB stored, a few milliseconds per comparison on one core).
    public static let defaultMaxKeypoints = 300

    /// Wraps a stored blob, checking its header and length.
    public init(blob: [UInt8]) throws {
        guard blob.count >= 8, blob[0] == 0x46, blob[1] == 0x57, blob[2] == 0x4C, blob[3] == 0x46,
              blob.count == 8 + (Int(blob[6]) | Int(blob[7]) << 8) * 136 else {
            throw VisionError("damaged local-feature record (\(blob.count) bytes); run `flukewatch catalog reembed` to rebuild it")
        }
        self.blob = blob
    }

    public var count: Int { Int(blob[6]) | Int(blob[7]) << 8 }

    public static func extract(from image: DecodedImage, maxKeypoints: Int = defaultMaxKeypoints) throws -> LocalFeatures {
        var buffer: UnsafeMutablePointer<UInt8>?
        var length = 0
        try shimCall { fw_extract_local_features(image.handle, Int32(maxKeypoints), &buffer, &length, $0) }
        defer { fw_buffer_free(buffer) }
        return try LocalFeatures(blob: Array(UnsafeBufferPointer(start: buffer, count: length)))
    }

    /// The descriptors, 128 bytes each, in keypoint order.
    public var descriptorBytes: ArraySlice<UInt8> { blob[(8 + count * 8)...] }

    /// Lowe's ratio-test matches (index here, index in `other`) that `inliers(with:)` hands to
    /// RANSAC, in this crop's keypoint order.
    public func ratioTestMatches(with other: LocalFeatures, ratio: Float = 0.8) throws -> [(Int, Int)] {
        var pairs = [Int32](repeating: 0, count: 2 * count)
        var matched = 0
        try blob.withUnsafeBufferPointer { a in
            try other.blob.withUnsafeBufferPointer { b in
                try pairs.withUnsafeMutableBufferPointer { out in
                    try shimCall { fw_ratio_test_matches(a.baseAddress, a.count, b.baseAddress, b.count, ratio, out.baseAddress, count, &matched, $0) }
                }
            }
        }
        return (0..<matched).map { (Int(pairs[2 * $0]), Int(pairs[2 * $0 + 1])) }
    }

    /// Matches consistent with one rotation + scale + shift between this crop and `other`.
    /// Deterministic. `ratio`: Lowe's ratio test; `reprojectionPixels`: RANSAC's tolerance.
    public func inliers(with other: LocalFeatures, ratio: Float = 0.8, reprojectionPixels: Float = 6) throws -> Int {
        var count: Int32 = 0
        try blob.withUnsafeBufferPointer { a in
            try other.blob.withUnsafeBufferPointer { b in
                try shimCall {
                    fw_count_geometric_inliers(a.baseAddress, a.count, b.baseAddress, b.count, ratio, reprojectionPixels,
                                               &count, $0)
                }
            }
        }
        return Int(count)
    }
}
