// BarChart: horizontal stacked bars of shares — one bar per row (a selector), one segment per
// category (a task family), grouped under headings (budgets) — with a shared legend.

/// One bar: its label and the share of each category (summing to at most 1).
struct ChartBar {
    let label: String
    let shares: [String: Double]
    /// Text after the bar (e.g. "noisy 12%").
    let note: String
}

/// Renders grouped stacked bars of shares.
enum BarChart {
    static func render(title: String, groups: [(title: String, bars: [ChartBar])], categories: [String]) -> String {
        let (left, barWidth, barHeight, gap) = (150.0, 480.0, 18.0, 6.0)
        let rows = groups.reduce(0) { $0 + $1.bars.count }
        let width = left + barWidth + 150
        let legend = SVGDocument.legendLayout(categories, x: 50, maxX: width - 12)
        var svg = SVGDocument(width: width, height: 50 + Double(rows) * (barHeight + gap) + Double(groups.count) * 28 + 40 + 20 * Double(legend.rows))
        let colour = { (category: String) in SVGDocument.palette[(categories.firstIndex(of: category) ?? 0) % SVGDocument.palette.count] }
        svg.text(left + barWidth / 2, 24, title, size: 15, anchor: "middle", bold: true)
        var y = 44.0
        for group in groups {
            svg.text(12, y + 14, group.title, size: 13, bold: true)
            y += 24
            for bar in group.bars {
                svg.text(left - 8, y + 13, bar.label, size: 12, anchor: "end")
                var x = left
                for category in categories {
                    let share = bar.shares[category] ?? 0
                    guard share > 0 else { continue }
                    svg.rect(x, y, share * barWidth, barHeight, color: colour(category),
                             label: "\(bar.label): \(category) \(String(format: "%.1f", 100 * share))%")
                    x += share * barWidth
                }
                svg.text(left + barWidth + 8, y + 13, bar.note, size: 11)
                y += barHeight + gap
            }
            y += 4
        }
        svg.line(left, 40, left, y - 4)
        for (i, tick) in [0.0, 0.25, 0.5, 0.75, 1.0].enumerated() {
            svg.text(left + tick * barWidth, y + 12, ["0%", "25%", "50%", "75%", "100%"][i], size: 11, anchor: "middle")
        }
        for (category, position) in zip(categories, legend.positions) {
            let (cx, cy) = (position.x, y + 28 + Double(position.row) * 20)
            svg.rect(cx, cy, 14, 10, color: colour(category))
            svg.text(cx + 20, cy + 10, category, size: 12)
        }
        return svg.xml
    }
}
