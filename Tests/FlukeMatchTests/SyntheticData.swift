@testable import FlukeMatch
import Foundation

/// Deterministic synthetic embeddings for the tests: Gaussian clusters (one per individual) built
/// from SplitMix64, so every run and every platform sees the same numbers.
struct SyntheticData {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// A standard normal value (Box–Muller on two uniform draws).
    mutating func gaussian() -> Float {
        let u1 = (Double(rng.next() >> 11) + 0.5) / Double(1 << 53)
        let u2 = Double(rng.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    mutating func vector(_ d: Int, scale: Float = 1) -> [Float] { (0..<d).map { _ in gaussian() * scale } }

    /// `individuals` clusters in `dimension` dimensions. Identity lives in the first
    /// `signalDimensions` coordinates (centres drawn with spread 1); every photo adds isotropic
    /// noise of standard deviation `noise` and a nuisance shared by all individuals (lighting,
    /// pose): `nuisanceRank` fixed random directions with weights of standard deviation
    /// `nuisance`. A strong nuisance swamps raw cosine; LDA learns to ignore it.
    mutating func clusters(individuals: Int, photosEach: Int, dimension: Int, signalDimensions: Int,
                           noise: Float, nuisance: Float, nuisanceRank: Int = 4)
        -> (features: EmbeddingMatrix, labels: [String])
    {
        let directions = (0..<nuisanceRank).map { _ in VectorMath.normalized(vector(dimension)) }
        var rows: [[Float]] = []
        var labels: [String] = []
        for i in 0..<individuals {
            let centre = vector(signalDimensions)
            for _ in 0..<photosEach {
                var v = (0..<dimension).map { j in (j < signalDimensions ? centre[j] : 0) + noise * gaussian() }
                for u in directions {
                    let w = nuisance * gaussian()
                    for j in 0..<dimension { v[j] += w * u[j] }
                }
                rows.append(v)
                labels.append("whale_\(String(i, radix: 10).leftPadded(to: 3))")
            }
        }
        var m = EmbeddingMatrix(rows: rows)
        m.normalizeRows()
        return (m, labels)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

