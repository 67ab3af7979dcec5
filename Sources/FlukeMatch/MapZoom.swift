/// A closer look at a pooled feature map that costs no network run: every channel of a
/// grid×grid, channel-major map (`GridPooling`'s output) resampled bilinearly about the map's
/// centre, magnified by `factor`. Output cell (y, x) reads the input at
/// centre + ((y, x) − centre) / factor, clamped to the map, so the outer cells repeat the edge.
///
/// Why: the station averages each look's map with copies of it zoomed 1.18 and 1.35 (what its
/// turned views are zoomed by). That weighs the middle of the crop, where the marks are, above
/// its rim, and blurs each mark over its neighbouring cells, so a mark one cell off still meets
/// itself. Measured on the real right whales, with the frozen trunk and with fine-tuned ones on
/// whales they never saw: tools/research/README.md, "Five views for the price of fewer".
public struct MapZoom: Sendable {
    public let factor: Double
    public let grid: Int
    /// Per output cell, the four input cells it blends and their weights (summing to 1).
    private let taps: [(cells: (Int, Int, Int, Int), weights: (Float, Float, Float, Float))]

    public init(factor: Double, grid: Int) {
        precondition(factor > 0 && factor.isFinite && grid >= 1, "zoom \(factor) on a \(grid)×\(grid) map")
        self.factor = factor
        self.grid = grid
        let centre = Double(grid - 1) / 2
        // Source coordinate of output index i along one axis: its lower cell, upper cell, and weight of the upper.
        let axis: [(Int, Int, Double)] = (0..<grid).map { i in
            let s = min(max(centre + (Double(i) - centre) / factor, 0), Double(grid - 1))
            let lower = Int(s.rounded(.down))
            return (lower, min(lower + 1, grid - 1), s - Double(lower))
        }
        var taps: [(cells: (Int, Int, Int, Int), weights: (Float, Float, Float, Float))] = []
        taps.reserveCapacity(grid * grid)
        for (y0, y1, fy) in axis {
            for (x0, x1, fx) in axis {
                taps.append((cells: (y0 * grid + x0, y0 * grid + x1, y1 * grid + x0, y1 * grid + x1),
                             weights: (Float((1 - fx) * (1 - fy)), Float(fx * (1 - fy)), Float((1 - fx) * fy), Float(fx * fy))))
            }
        }
        self.taps = taps
    }

    /// `map` (channels × grid × grid, channel-major) zoomed, not normalised.
    public func apply(_ map: [Float]) -> [Float] {
        let cells = grid * grid
        precondition(map.count % cells == 0, "a map of \(map.count) values is not a whole number of \(grid)×\(grid) channels")
        var out = [Float](repeating: 0, count: map.count)
        map.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for base in stride(from: 0, to: map.count, by: cells) {
                    for (i, t) in taps.enumerated() {
                        dst[base + i] = t.weights.0 * src[base + t.cells.0] + t.weights.1 * src[base + t.cells.1]
                            + t.weights.2 * src[base + t.cells.2] + t.weights.3 * src[base + t.cells.3]
                    }
                }
            }
        }
        return out
    }
}
