/// SplitMix64 (Steele, Lea & Flood, 2014): a seeded generator whose every output is defined bit for
/// bit.
///
/// Evaluation splits must come out identical on every platform, in every Swift release, and in the
/// Python research scripts that chose the recipe (`tools/research/fluke_research.py`). The standard
/// library's generator cannot be seeded, and `Int.random(in:using:)` does not promise to keep its
/// reduction algorithm, so the split uses this generator and its own `below(_:)` and `shuffle(_:)`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<n` by modulo reduction. The bias is below n / 2^64, far under anything an
    /// evaluation of a few thousand photos could notice, and the rule is trivial to reproduce.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(_:) needs a positive bound")
        return Int(next() % UInt64(n))
    }

    /// Fisher–Yates from the last element down: position i swaps with `below(i + 1)`.
    public mutating func shuffle<Element>(_ items: inout [Element]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, through: 1, by: -1) {
            items.swapAt(i, below(i + 1))
        }
    }
}
