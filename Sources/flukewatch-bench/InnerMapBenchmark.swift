import FlukeMatch
import FlukeVision
import Foundation

/// What a view made at an inner map costs (`[identification] views_at`): the image's run that
/// also hands the map back, the turn and zoom of the map (`MapView`), and the blocks after it up
/// to `s16_c80`, against one whole run, interleaved over 31 rounds on the same crop, one core.
func benchmarkInnerMaps(package: ModelPackage, rgb: [UInt8]) throws {
    print("a view made at an inner map instead of the image (int8, one core, median of 31 interleaved rounds):")
    let whole = try Embedder(package: package, outputs: ["s16_c80"])
    for at in ["b1_out"] + MatchingRecipe.innerViewTensors + ["b3_out"] {
        guard let shape = package.outputShape(at) else { continue }
        let head = try Embedder(package: package, outputs: ["s16_c80", at])
        let blocksAfter = try Embedder(package: package, outputs: ["s16_c80"], from: at)
        let view = MapView(view: ViewTransform.standard[0], height: shape.height, width: shape.width, channels: shape.channels)
        var wholeMs: [Double] = [], headMs: [Double] = [], warpMs: [Double] = [], afterMs: [Double] = []
        for _ in 0..<31 {
            wholeMs.append(try seconds { _ = try whole.run(rgb: rgb) } * 1000)
            var map: [Float] = []
            headMs.append(try seconds { map = try head.run(rgb: rgb)[1] } * 1000)
            var turned: [Float] = []
            warpMs.append(seconds { turned = view.apply(map) } * 1000)
            afterMs.append(try seconds { _ = try blocksAfter.run(map: turned) } * 1000)
        }
        func median(_ a: [Double]) -> Double { a.sorted()[a.count / 2] }
        let perView = median(warpMs) + median(afterMs)
        print("  at \(at) (\(shape.height)×\(shape.width)×\(shape.channels)): whole run \(fmt(median(wholeMs), 2)) ms, run handing the map back \(fmt(median(headMs), 2)) ms; a view: turn \(fmt(median(warpMs), 2)) + blocks after \(fmt(median(afterMs), 2)) ms = \(fmt(perView / median(wholeMs), 2)) of a run; crop + 4 views \(fmt(median(headMs) + 4 * perView, 1)) ms")
    }
}
