// LineChart: panels side by side, each with lines (a mean over seeds) inside bands (their spread),
// dashed horizontal reference lines, ticked axes, a title per panel and one legend for all.

/// A line with its spread.
struct ChartSeries {
    /// Its name in the legend, which keeps one colour across panels.
    let label: String
    /// What this panel's line adds to the label in its `data-label` (a panel's own figure, such as its test loss).
    var detail: String? = nil
    /// (x, mean, low, high) points, x increasing.
    let points: [(x: Double, mean: Double, low: Double, high: Double)]
}

/// One panel: its title and its series, plus horizontal references (label, y).
struct ChartPanel {
    let title: String
    let series: [ChartSeries]
    let references: [(label: String, y: Double)]
}

/// Renders panels of line charts that share a legend; labels keep one colour across panels.
enum LineChart {
    static func render(panels: [ChartPanel], xLabel: String, yLabel: String) -> String {
        let (panelWidth, panelHeight, left, top, bottom) = (360.0, 280.0, 64.0, 36.0, 48.0)
        let labels = orderedLabels(panels)
        let width = left + Double(panels.count) * (panelWidth + 24)
        let layout = SVGDocument.legendLayout(labels, x: left, maxX: width - 12)
        var svg = SVGDocument(width: width, height: top + panelHeight + bottom + 20 * Double(layout.rows) + 16)
        let colour = { (label: String) in SVGDocument.palette[(labels.firstIndex(of: label) ?? 0) % SVGDocument.palette.count] }
        for (p, panel) in panels.enumerated() {
            let x0 = left + Double(p) * (panelWidth + 24), y0 = top, (w, h) = (panelWidth, panelHeight)
            let xs = panel.series.flatMap { $0.points.map(\.x) }
            let ys = panel.series.flatMap { $0.points.flatMap { [$0.low, $0.high] } } + panel.references.map(\.y)
            guard let xMax = xs.max(), let yLo = ys.min(), let yHi = ys.max() else { continue }
            let xMin = min(0, xs.min()!)
            let pad = max((yHi - yLo) * 0.05, 1e-6)
            let (lo, hi) = (yLo - pad, yHi + pad)
            let px = { (x: Double) in x0 + (x - xMin) / max(xMax - xMin, 1e-12) * w }
            let py = { (y: Double) in y0 + h - (y - lo) / (hi - lo) * h }
            svg.text(x0 + w / 2, y0 - 14, panel.title, size: 14, anchor: "middle", bold: true)
            axes(&svg, x0: x0, y0: y0, w: w, h: h, xRange: (xMin, xMax), yRange: (lo, hi), px: px, py: py)
            svg.text(x0 + w / 2, y0 + h + 36, xLabel, anchor: "middle")
            if p == 0 { svg.text(x0 - 48, y0 + h / 2, yLabel, anchor: "middle", rotate: true) }
            for reference in panel.references {
                svg.line(x0, py(reference.y), x0 + w, py(reference.y), color: colour(reference.label), width: 1.5, dashed: true)
            }
            for series in panel.series where !series.points.isEmpty {
                let band = series.points.map { (px($0.x), py($0.high)) } + series.points.reversed().map { (px($0.x), py($0.low)) }
                let label = series.label + (series.detail.map { " (\($0))" } ?? "")
                svg.polygon(band, color: colour(series.label), opacity: 0.18, label: label)
                svg.polyline(series.points.map { (px($0.x), py($0.mean)) }, color: colour(series.label), label: label)
            }
        }
        let references = Set(panels.flatMap { $0.references.map(\.label) })
        legend(&svg, labels: labels, at: layout.positions, references: references, colour: colour, y: top + panelHeight + bottom + 8)
        return svg.xml
    }

    /// Frame, ticks and tick labels of one panel.
    static func axes(_ svg: inout SVGDocument, x0: Double, y0: Double, w: Double, h: Double, xRange: (Double, Double),
                     yRange: (Double, Double), px: (Double) -> Double, py: (Double) -> Double) {
        svg.line(x0, y0 + h, x0 + w, y0 + h)
        svg.line(x0, y0, x0, y0 + h)
        let xTicks = SVGDocument.ticks(xRange.0, xRange.1), yTicks = SVGDocument.ticks(yRange.0, yRange.1)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1, yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for t in xTicks {
            svg.line(px(t), y0 + h, px(t), y0 + h + 5)
            svg.text(px(t), y0 + h + 18, SVGDocument.label(t, step: xStep), size: 11, anchor: "middle")
        }
        for t in yTicks {
            svg.line(x0 - 5, py(t), x0, py(t))
            svg.line(x0, py(t), x0 + w, py(t), color: "#e6e6e6")
            svg.text(x0 - 8, py(t) + 4, SVGDocument.label(t, step: yStep), size: 11, anchor: "end")
        }
    }

    /// Coloured keys at their `SVGDocument.legendLayout` positions, from `y`: a box for a series, a dashed
    /// stroke for a reference line.
    static func legend(_ svg: inout SVGDocument, labels: [String], at positions: [(x: Double, row: Int)], references: Set<String>,
                       colour: (String) -> String, y: Double) {
        for (label, position) in zip(labels, positions) {
            let (cx, cy) = (position.x, y + Double(position.row) * 20)
            if references.contains(label) {
                svg.line(cx, cy + 5, cx + 14, cy + 5, color: colour(label), width: 2, dashed: true)
            } else {
                svg.rect(cx, cy, 14, 10, color: colour(label))
            }
            svg.text(cx + 20, cy + 10, label, size: 12)
        }
    }

    private static func orderedLabels(_ panels: [ChartPanel]) -> [String] {
        var seen = [String]()
        for panel in panels {
            for label in panel.series.map(\.label) + panel.references.map(\.label) where !seen.contains(label) { seen.append(label) }
        }
        return seen
    }
}
