import CFlukeReference
import FlukeVision

/// OpenCV's brute-force matcher with Lowe's ratio test (FlukeReference.h), as the reference the
/// station's own matcher is held to. Tests and benchmarks only: never linked into the daemon.
public enum OpenCVMatcher {
    /// Lowe's ratio-test matches (index in `a`, index in `b`), in `a`'s keypoint order.
    public static func ratioTestMatches(_ a: LocalFeatures, _ b: LocalFeatures, ratio: Float = 0.8) throws -> [(Int, Int)] {
        var pairs = [Int32](repeating: 0, count: 2 * a.count)
        var count = 0
        var error = fw_ref_error()
        let status = Array(a.descriptorBytes).withUnsafeBufferPointer { da in
            Array(b.descriptorBytes).withUnsafeBufferPointer { db in
                pairs.withUnsafeMutableBufferPointer { out in
                    fw_ref_ratio_test_matches(da.baseAddress, Int32(a.count), db.baseAddress, Int32(b.count), ratio,
                                              out.baseAddress, a.count, &count, &error)
                }
            }
        }
        guard status == 0 else {
            let message = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ReferenceError(message: "OpenCV's matcher failed: \(message)")
        }
        return (0..<count).map { (Int(pairs[2 * $0]), Int(pairs[2 * $0 + 1])) }
    }
}

/// A failure inside the OpenCV reference, with OpenCV's words.
public struct ReferenceError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
