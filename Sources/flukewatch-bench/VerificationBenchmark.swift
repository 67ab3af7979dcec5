import FlukeReference
import FlukeVision
import Foundation

/// Verification on real photos. A synthetic fixture crop carries fewer SIFT keypoints than a
/// real 224 crop, so the photo → sighting stages understate SIFT and matching. When the labelled
/// right-whale heads sit beside the checkout (`../shared/data`, read in place, never committed),
/// this times SIFT on real crops and one query's verification against 20 catalog crops (the
/// station's 10 leaders × 2 photos), the station's exact sgemm matcher against OpenCV's
/// brute-force matcher in the same process. Returns the SIFT and verification medians (nil when
/// the set is absent).
func realCropVerificationBenchmark(queries: Int = 9) throws -> (sift: Double, verify: Double)? {
    let directory = URL(fileURLWithPath: "../shared/data/reid-real/rightwhale-heads-224")
    guard let labels = try? String(contentsOf: directory.appendingPathComponent("labels.csv"), encoding: .utf8) else {
        print("verification on real crops: skipped, \(directory.path) is not here")
        return nil
    }
    // The set's CSV ends its lines with CRLF (one Character in Swift, hence isNewline).
    let files = labels.split(whereSeparator: \.isNewline).dropFirst().compactMap { $0.split(separator: ",").first.map(String.init) }
    guard files.count >= queries + 20 else {
        print("verification on real crops: skipped, \(directory.path) lists \(files.count) photos (needs \(queries + 20))")
        return nil
    }
    let crops = try files.prefix(queries + 20).map { file in
        try PhotoDecoder.decode(Array(try Data(contentsOf: directory.appendingPathComponent("images").appendingPathComponent(file))))
    }
    var siftMs: [Double] = []
    let features = try crops.map { crop in
        var extracted: LocalFeatures?
        siftMs.append(try seconds { extracted = try LocalFeatures.extract(from: crop) } * 1000)
        return extracted!
    }
    let keypoints = features.map(\.count).sorted()
    var ours: [Double] = [], reference: [Double] = [], verify: [Double] = []
    for q in 0..<queries {
        let query = features[q], catalog = Array(features[(q + 1)...(q + 20)])
        var oursMatches: [[(Int, Int)]] = [], referenceMatches: [[(Int, Int)]] = []
        ours.append(try seconds { oursMatches = try catalog.map { try query.ratioTestMatches(with: $0) } } * 1000)
        reference.append(try seconds { referenceMatches = try catalog.map { try OpenCVMatcher.ratioTestMatches(query, $0) } } * 1000)
        guard zip(oursMatches, referenceMatches).allSatisfy({ $0.elementsEqual($1, by: ==) }) else {
            throw NSError(domain: "bench", code: 3, userInfo: [NSLocalizedDescriptionKey: "the sgemm matcher and OpenCV's disagree on query \(q)"])
        }
        verify.append(try seconds { for other in catalog { _ = try query.inliers(with: other) } } * 1000)
    }
    print("verification on real right-whale crops (224×224, \(files.count) in the set; keypoints per crop: median \(keypoints[keypoints.count / 2]), capped at \(LocalFeatures.defaultMaxKeypoints)), one core:")
    print("  SIFT + RootSIFT on one crop        \(fmt(median(siftMs), 2)) ms (median over \(crops.count) crops)")
    print("  ratio-test matching, 20 crops      \(fmt(median(ours), 2)) ms   OpenCV BFMatcher \(fmt(median(reference), 2)) ms   (\(fmt(median(reference) / median(ours), 2))× faster, same matches)")
    print("  verification, 20 crops (+ RANSAC)  \(fmt(median(verify), 2)) ms (median of \(queries) queries)")
    return (median(siftMs), median(verify))
}

private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
