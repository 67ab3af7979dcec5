/// Waits between sync rounds: the normal interval while all goes well; after failures, a delay
/// doubling from `minimum` up to `maximum`, each drawn in its upper half (jitter) so stations
/// coming back from the same outage do not all knock at once.
public struct Backoff: Sendable {
    public let minimum: Double
    public let maximum: Double
    public private(set) var failures = 0

    public init(minimum: Double, maximum: Double) {
        self.minimum = minimum
        self.maximum = maximum
    }

    public mutating func succeeded() { failures = 0 }

    /// Counts a failure and returns the seconds to wait before the next try.
    public mutating func failed<G: RandomNumberGenerator>(using rng: inout G) -> Double {
        failures += 1
        let ceiling = min(maximum, minimum * Double(1 << min(failures - 1, 30)))
        return Double.random(in: (ceiling / 2)...ceiling, using: &rng)
    }

    public mutating func failed() -> Double {
        var rng = SystemRandomNumberGenerator()
        return failed(using: &rng)
    }
}
