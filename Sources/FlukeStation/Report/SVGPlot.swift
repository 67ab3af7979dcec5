import Foundation

/// A small plotting frame for inline SVG: linear axes, ticks, and data mapped into a plot area.
/// Enough for the evaluation report's curves and histograms without any JavaScript library.
struct SVGPlot {
    var width = 560.0, height = 300.0
    var left = 56.0, right = 20.0, top = 20.0, bottom = 46.0
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>

    func x(_ v: Double) -> Double { left + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - left - right) }
    func y(_ v: Double) -> Double { height - bottom - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - top - bottom) }

    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Axes with ticks at the given values, tick labels, and axis titles.
    func axes(xTicks: [Double], yTicks: [Double], xLabel: String, yLabel: String,
              xFormat: (Double) -> String = { String(format: "%g", $0) }, yFormat: (Double) -> String = { String(format: "%g", $0) }) -> HTML {
        var parts: [HTML] = []
        for t in yTicks {
            parts.append(HTML(raw: "<line x1=\"\(Self.n(left))\" x2=\"\(Self.n(width - right))\" y1=\"\(Self.n(y(t)))\" y2=\"\(Self.n(y(t)))\" stroke=\"#e3e8ee\"/>"))
            parts.append("<text x=\"\(Self.n(left - 8))\" y=\"\(Self.n(y(t) + 4))\" text-anchor=\"end\">\(yFormat(t))</text>")
        }
        for t in xTicks {
            parts.append(HTML(raw: "<line x1=\"\(Self.n(x(t)))\" x2=\"\(Self.n(x(t)))\" y1=\"\(Self.n(height - bottom))\" y2=\"\(Self.n(height - bottom + 5))\" stroke=\"#5d6b7a\"/>"))
            parts.append("<text x=\"\(Self.n(x(t)))\" y=\"\(Self.n(height - bottom + 18))\" text-anchor=\"middle\">\(xFormat(t))</text>")
        }
        parts.append(HTML(raw: "<line x1=\"\(Self.n(left))\" x2=\"\(Self.n(width - right))\" y1=\"\(Self.n(height - bottom))\" y2=\"\(Self.n(height - bottom))\" stroke=\"#5d6b7a\"/>"))
        parts.append(HTML(raw: "<line x1=\"\(Self.n(left))\" x2=\"\(Self.n(left))\" y1=\"\(Self.n(top))\" y2=\"\(Self.n(height - bottom))\" stroke=\"#5d6b7a\"/>"))
        parts.append("<text x=\"\(Self.n((left + width - right) / 2))\" y=\"\(Self.n(height - 6))\" text-anchor=\"middle\" class=\"axis\">\(xLabel)</text>")
        parts.append("<text transform=\"translate(14 \(Self.n((top + height - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(yLabel)</text>")
        return parts.joined()
    }

    /// Evenly spaced "nice" ticks (steps of 1, 2 or 5 × 10ⁿ) covering the range.
    static func ticks(_ range: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let raw = span / Double(count), magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var out: [Double] = []
        var t = (range.lowerBound / step).rounded(.up) * step
        while t <= range.upperBound + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }
}

/// Scores counted in equal-width bins, as fractions of all scores (so distributions of very
/// different sizes, a few hundred same-individual pairs against tens of thousands of
/// different-individual ones, can share one axis).
struct ScoreHistogram {
    var lower: Double
    var width: Double
    var fractions: [Double]
    var count: Int

    init(_ scores: [Float], lower: Double, upper: Double, bins: Int) {
        self.lower = lower
        width = (upper - lower) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for s in scores {
            let i = Int(((Double(s) - lower) / width).rounded(.down))
            counts[min(max(i, 0), bins - 1)] += 1
        }
        count = scores.count
        fractions = counts.map { scores.isEmpty ? 0 : Double($0) / Double(scores.count) }
    }
}
