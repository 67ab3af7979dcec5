import FlukeCore
import Foundation

/// `flukewatch evaluate --report DIR`: one self-contained `index.html` (inline SVG, photos as
/// embedded JPEG thumbnails, no scripts) with the CMC curve, the same- and different-individual
/// score distributions with the decision thresholds, and the worst failures side by side.
public enum EvaluationReportHTML {
    /// How many failure pairs the report shows.
    static let failureCount = 12

    /// Writes DIR/index.html and returns its path.
    @discardableResult
    public static func write(_ report: Evaluator.Report, to directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("index.html")
        try render(report).raw.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func render(_ r: Evaluator.Report) -> HTML {
        let m = r.metrics
        func f(_ v: Double) -> String { String(format: "%.3f", v) }
        let summary: HTML = """
            <table class="summary"><tr><th>MAP@5</th><th>top-1</th><th>top-5</th><th>new precision</th><th>new recall</th></tr>\
            <tr><td>\(f(m.map5))</td><td>\(f(m.top1))</td><td>\(f(m.top5))</td><td>\(f(m.newPrecision))</td><td>\(f(m.newRecall))</td></tr></table>\
            <p class="note">\(r.photos) photos (\(r.unreadable) unreadable) from \(r.labels); catalog \(r.catalogPhotos) photos of \
            \(r.catalogIndividuals) individuals; \(m.knownQueries) known and \(m.newQueries) new queries. Model \(r.modelVersion), \
            split seed \(r.seed), F = \(r.unknownFraction), Q = \(r.queriesPer), crop \(r.crop). Thresholds fitted on the catalog part alone: \
            new below \(String(format: "%.3f", r.thresholdNew)), match from \(String(format: "%.3f", r.thresholdMatch)).</p>
            """
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>FlukeWatch evaluation</title><style>\(HTML(raw: style))</style></head>
            <body><h1>FlukeWatch evaluation</h1>\(summary)
            <section><h2>Identification rank (CMC)</h2><p class="note">Share of known queries whose right individual is \
            among the first k candidates.</p>\(cmcPlot(m.cmc))</section>
            <section><h2>Scores of same- and different-individual pairs</h2><p class="note">Each query against every catalog \
            individual, scored as the station scores them. Sightings scoring below the new threshold are called new \
            individuals, from the match threshold matches, in between uncertain.</p>\(scorePlot(r))</section>
            <section><h2>Worst failures</h2>\(failures(r))</section></body></html>
            """
    }

    // MARK: - Plots

    static func cmcPlot(_ cmc: [Double]) -> HTML {
        guard !cmc.isEmpty else { return "<p>No known queries: nothing to rank.</p>" }
        let plot = SVGPlot(xRange: 0.5...(Double(cmc.count) + 0.5), yRange: 0...1)
        let points = cmc.enumerated().map { (plot.x(Double($0.offset + 1)), plot.y($0.element)) }
        let line = points.map { "\(SVGPlot.n($0.0)),\(SVGPlot.n($0.1))" }.joined(separator: " ")
        let dots = zip(points, cmc).map { p, v -> HTML in
            HTML(raw: "<circle cx=\"\(SVGPlot.n(p.0))\" cy=\"\(SVGPlot.n(p.1))\" r=\"4\" fill=\"#0b5cad\"/>")
                + "<text x=\"\(SVGPlot.n(p.0))\" y=\"\(SVGPlot.n(p.1 - 10))\" text-anchor=\"middle\">\(String(format: "%.2f", v))</text>"
        }
        return """
            <svg id="cmc" class="plot" viewBox="0 0 \(SVGPlot.n(plot.width)) \(SVGPlot.n(plot.height))" role="img" \
            aria-label="top-k accuracy against k" data-values="\(cmc.map { String(format: "%.4f", $0) }.joined(separator: " "))">\
            \(plot.axes(xTicks: (1...cmc.count).map(Double.init), yTicks: [0, 0.25, 0.5, 0.75, 1], xLabel: "k (candidates looked at)",
                        yLabel: "top-k accuracy", xFormat: { String(Int($0)) }, yFormat: { String(format: "%.2f", $0) }))\
            <polyline points="\(line)" fill="none" stroke="#0b5cad" stroke-width="2.5"/>\(dots)</svg>
            """
    }

    static func scorePlot(_ r: Evaluator.Report) -> HTML {
        let same = r.queries.compactMap(\.sameScore)
        let different = r.queries.flatMap(\.differentScores)
        guard !same.isEmpty || !different.isEmpty else { return "<p>No scores were kept.</p>" }
        let all = same + different + [r.thresholdNew, r.thresholdMatch]
        let lower = (Double(all.min()!) * 20).rounded(.down) / 20, upper = max(lower + 0.05, (Double(all.max()!) * 20).rounded(.up) / 20)
        let bins = 40
        let sameH = ScoreHistogram(same, lower: lower, upper: upper, bins: bins)
        let diffH = ScoreHistogram(different, lower: lower, upper: upper, bins: bins)
        let peak = max(sameH.fractions.max() ?? 0, diffH.fractions.max() ?? 0, 0.01) * 1.1
        var plot = SVGPlot(xRange: lower...upper, yRange: 0...peak)
        plot.width = 720
        func bars(_ h: ScoreHistogram, _ colour: String, _ cls: String) -> HTML {
            h.fractions.enumerated().filter { $0.element > 0 }.map { i, v -> HTML in
                let x0 = plot.x(h.lower + Double(i) * h.width), x1 = plot.x(h.lower + Double(i + 1) * h.width)
                return HTML(raw: "<rect class=\"\(cls)\" x=\"\(SVGPlot.n(x0))\" y=\"\(SVGPlot.n(plot.y(v)))\" width=\"\(SVGPlot.n(max(1, x1 - x0 - 1)))\" height=\"\(SVGPlot.n(plot.y(0) - plot.y(v)))\" fill=\"\(colour)\" fill-opacity=\"0.6\"/>")
            }.joined()
        }
        func threshold(_ v: Float, _ name: String, _ cls: String) -> HTML {
            let x = plot.x(Double(v))
            return HTML(raw: "<line class=\"\(cls)\" x1=\"\(SVGPlot.n(x))\" x2=\"\(SVGPlot.n(x))\" y1=\"\(SVGPlot.n(plot.top))\" y2=\"\(SVGPlot.n(plot.y(0)))\" stroke=\"#a3262f\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>")
                // Labels sit left of a line near the right edge, so they stay inside the plot.
                + (x > plot.width * 0.75
                    ? "<text x=\"\(SVGPlot.n(x - 4))\" y=\"\(SVGPlot.n(plot.top + 12 + (cls == "threshold-match" ? 16 : 0)))\" fill=\"#a3262f\" text-anchor=\"end\">\(name) \(String(format: "%.3f", v))</text>"
                    : "<text x=\"\(SVGPlot.n(x + 4))\" y=\"\(SVGPlot.n(plot.top + 12 + (cls == "threshold-match" ? 16 : 0)))\" fill=\"#a3262f\">\(name) \(String(format: "%.3f", v))</text>")
        }
        let legendX = plot.left + 12
        return """
            <svg id="scores" class="plot" viewBox="0 0 \(SVGPlot.n(plot.width)) \(SVGPlot.n(plot.height))" role="img" \
            aria-label="score distributions" data-same-pairs="\(sameH.count)" data-different-pairs="\(diffH.count)" \
            data-threshold-new="\(String(format: "%.4f", r.thresholdNew))" data-threshold-match="\(String(format: "%.4f", r.thresholdMatch))">\
            \(plot.axes(xTicks: SVGPlot.ticks(lower...upper, count: 8), yTicks: SVGPlot.ticks(0...peak, count: 4),
                        xLabel: "score (cosine)", yLabel: "share of pairs", yFormat: { String(format: "%.0f%%", $0 * 100) }))\
            \(bars(diffH, "#8a96a3", "different"))\(bars(sameH, "#1d7a46", "same"))\
            \(threshold(r.thresholdNew, "new <", "threshold-new"))\(threshold(r.thresholdMatch, "match ≥", "threshold-match"))\
            \(HTML(raw: "<rect x=\"\(SVGPlot.n(legendX))\" y=\"\(SVGPlot.n(plot.top + 40))\" width=\"12\" height=\"12\" fill=\"#1d7a46\" fill-opacity=\"0.6\"/>"))\
            <text x="\(SVGPlot.n(legendX + 18))" y="\(SVGPlot.n(plot.top + 50))">same individual (\(sameH.count) pairs)</text>\
            \(HTML(raw: "<rect x=\"\(SVGPlot.n(legendX))\" y=\"\(SVGPlot.n(plot.top + 60))\" width=\"12\" height=\"12\" fill=\"#8a96a3\" fill-opacity=\"0.6\"/>"))\
            <text x="\(SVGPlot.n(legendX + 18))" y="\(SVGPlot.n(plot.top + 70))">different individuals (\(diffH.count) pairs)</text></svg>
            """
    }

    // MARK: - Failures

    /// A query the station would get wrong, and how badly: a known whale ranked below another
    /// (by how far the wrong first candidate beats the right one), or a whale outside the catalog
    /// that would be called a known one (by how far above the new threshold it scored).
    struct Failure {
        var query: EvaluatedQuery
        var margin: Float
    }

    static func worstFailures(_ r: Evaluator.Report) -> [Failure] {
        var out: [Failure] = []
        for q in r.queries {
            guard let top = q.candidates.first else { continue }
            if let same = q.sameScore {
                if top.individual != q.truth { out.append(Failure(query: q, margin: top.score - same)) }
            } else if top.score >= r.thresholdNew {
                out.append(Failure(query: q, margin: top.score - r.thresholdNew))
            }
        }
        return Array(out.sorted { $0.margin > $1.margin }.prefix(failureCount))
    }

    static func failures(_ r: Evaluator.Report) -> HTML {
        let worst = worstFailures(r)
        guard !worst.isEmpty else {
            return "<p class=\"note\">No failures: every known query ranked its individual first and no new whale scored above the new threshold.</p>"
        }
        let rows = worst.map { f -> HTML in
            let q = f.query, top = q.candidates[0]
            let truth: HTML = q.truth.map { t in
                "\(t) (score \(q.sameScore.map { String(format: "%.3f", $0) } ?? "–"), \(q.rankOfTruth.map { "rank \($0)" } ?? "not in the top 5"))"
            } ?? "a whale outside the catalog: should be new"
            return """
                <figure class="pair" data-failure="\(q.truth == nil ? "called-known" : "wrong-rank")">\
                <div>\(thumbnail(q.file))<figcaption>query · \((q.file as NSString).lastPathComponent)<br>truth: \(truth)</figcaption></div>\
                <div>\(thumbnail(top.file))<figcaption>ranked first: \(top.individual) · \(String(format: "%.3f", top.score))<br>\
                \((top.file as NSString).lastPathComponent)</figcaption></div></figure>
                """
        }
        return "<p class=\"note\">Query photo beside the catalog photo that was wrongly ranked first, worst first.</p><div class=\"pairs\">\(rows)</div>"
    }

    /// A small JPEG embedded in the page, or a link to the file when it cannot be read here.
    static func thumbnail(_ file: String) -> HTML {
        if let bytes = try? PhotoFeatures.readBytes(file), let jpeg = PhotoThumbnail.jpeg(of: bytes, maxSide: 240, quality: 75) {
            return HTML(raw: "<img alt=\"\(HTML.escape(file))\" src=\"data:image/jpeg;base64,\(Data(jpeg).base64EncodedString())\">")
        }
        return "<a href=\"file://\(file)\">\(file)</a>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b2430;max-width:980px;margin:24px auto;padding:0 20px}
        h1{font-size:22px}h2{font-size:17px;margin:28px 0 4px}.note{color:#5d6b7a}
        table.summary{border-collapse:collapse}table.summary th,table.summary td{border:1px solid #d9dfe6;padding:6px 14px;text-align:center}
        table.summary td{font-size:18px;font-variant-numeric:tabular-nums}
        svg.plot{width:100%;max-width:760px;height:auto;font-size:12px;fill:#1b2430}svg .axis{font-size:13px;fill:#5d6b7a}
        .pairs{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
        figure.pair{margin:0;display:grid;grid-template-columns:1fr 1fr;gap:8px;border:1px solid #d9dfe6;border-radius:8px;padding:8px}
        figure.pair img{width:100%;aspect-ratio:4/3;object-fit:contain;background:#1d2733;border-radius:4px}
        figcaption{font-size:12px;color:#5d6b7a;overflow-wrap:anywhere}
        """
}
