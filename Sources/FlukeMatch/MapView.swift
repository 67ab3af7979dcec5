import Foundation

/// A turned, closer look at one of the network's inner maps (height × width × channels,
/// channels-last, as the runtime writes it): what `ViewTransform` does to the image, done to the
/// map the early blocks made of it. Output position p reads the input bilinearly at
/// centre + R(θ)·(p − centre) / zoom, clamped to the map (the rim repeats), the geometry
/// tools/research/mid_map_views.py measured.
///
/// Why: a view made on the image costs a whole network run; made on an inner map it costs only
/// the blocks after it (in int8 about half a run after the stride-4 `b2_out`, a fifth after the
/// stride-8 `s8_c40`) and keeps most of the turned views' gain (tools/research/README.md, "Views
/// made inside the network").
public struct MapView: Sendable {
    public let view: ViewTransform
    public let height: Int
    public let width: Int
    public let channels: Int
    /// Per output position, the four input positions it blends (as offsets of their first
    /// channel) and their weights, summing to 1.
    private let taps: [(positions: (Int, Int, Int, Int), weights: (Float, Float, Float, Float))]

    public init(view: ViewTransform, height: Int, width: Int, channels: Int) {
        precondition(height >= 1 && width >= 1 && channels >= 1, "a \(height)×\(width)×\(channels) map")
        precondition(view.zoom > 0 && view.zoom.isFinite && view.degrees.isFinite, "view \(view)")
        self.view = view
        self.height = height
        self.width = width
        self.channels = channels
        let theta = view.degrees * .pi / 180
        let (cosine, sine) = (cos(theta), sin(theta))
        let cy = Double(height - 1) / 2, cx = Double(width - 1) / 2
        var taps: [(positions: (Int, Int, Int, Int), weights: (Float, Float, Float, Float))] = []
        taps.reserveCapacity(height * width)
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Double(x) - cx) / view.zoom, dy = (Double(y) - cy) / view.zoom
                let sx = min(max(cx + cosine * dx - sine * dy, 0), Double(width - 1))
                let sy = min(max(cy + sine * dx + cosine * dy, 0), Double(height - 1))
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
                let fx = sx - Double(x0), fy = sy - Double(y0)
                taps.append((positions: ((y0 * width + x0) * channels, (y0 * width + x1) * channels,
                                         (y1 * width + x0) * channels, (y1 * width + x1) * channels),
                             weights: (Float((1 - fx) * (1 - fy)), Float(fx * (1 - fy)), Float((1 - fx) * fy), Float(fx * fy))))
            }
        }
        self.taps = taps
    }

    /// The map seen through this view (same shape).
    public func apply(_ map: [Float]) -> [Float] {
        precondition(map.count == height * width * channels, "a map of \(map.count) values is not \(height)×\(width)×\(channels)")
        var out = [Float](repeating: 0, count: map.count)
        let c = channels
        map.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, t) in taps.enumerated() {
                    let o = i * c
                    let (w0, w1, w2, w3) = t.weights
                    let (p0, p1, p2, p3) = t.positions
                    for k in 0..<c {
                        dst[o + k] = w0 * src[p0 + k] + w1 * src[p1 + k] + w2 * src[p2 + k] + w3 * src[p3 + k]
                    }
                }
            }
        }
        return out
    }
}
