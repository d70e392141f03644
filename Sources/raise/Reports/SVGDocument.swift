// SVGDocument: the few SVG elements the benchmark's charts need — lines, polylines, filled polygons,
// rectangles and text — written as plain XML with escaped text, plus the axis-tick arithmetic. No
// plotting package: a chart is a list of these elements.
import Foundation

/// An SVG image under construction.
struct SVGDocument {
    let width: Double
    let height: Double
    private(set) var elements: [String] = []

    /// Colours that stay apart on screen and in print (Tableau 10).
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String = "#333", width: Double = 1, dashed: Bool = false) {
        elements.append("<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"\(f(width))\""
                        + (dashed ? " stroke-dasharray=\"5,4\"" : "") + "/>")
    }

    mutating func polyline(_ points: [(Double, Double)], color: String, width: Double = 2, label: String) {
        elements.append("<polyline class=\"series\" data-label=\"\(SVGDocument.escape(label))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(f(width))\" points=\""
                        + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>")
    }

    mutating func polygon(_ points: [(Double, Double)], color: String, opacity: Double, label: String) {
        elements.append("<polygon class=\"band\" data-label=\"\(SVGDocument.escape(label))\" fill=\"\(color)\" fill-opacity=\"\(f(opacity))\" stroke=\"none\" points=\""
                        + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, color: String, label: String? = nil) {
        elements.append("<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(w, 0)))\" height=\"\(f(max(h, 0)))\" fill=\"\(color)\""
                        + (label.map { ">\n<title>\(SVGDocument.escape($0))</title></rect>" } ?? "/>"))
    }

    mutating func text(_ x: Double, _ y: Double, _ content: String, size: Double = 12, anchor: String = "start", bold: Bool = false,
                       rotate: Bool = false) {
        elements.append("<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\""
                        + (bold ? " font-weight=\"bold\"" : "") + (rotate ? " transform=\"rotate(-90 \(f(x)) \(f(y)))\"" : "")
                        + ">\(SVGDocument.escape(content))</text>")
    }

    /// The document as XML.
    var xml: String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    /// Where legend keys go, left to right from `x` and wrapping before `maxX`, 20 px a row: each key is a
    /// 14 px mark, then its label, whose width is estimated from its length (12 px Helvetica averages
    /// under 7 px a character), then 18 px of space. Returns each key's position and the number of rows.
    static func legendLayout(_ labels: [String], x: Double, maxX: Double) -> (positions: [(x: Double, row: Int)], rows: Int) {
        var positions = [(x: Double, row: Int)](), cursor = x, row = 0
        for label in labels {
            let width = 20 + 7 * Double(label.count)
            if cursor > x && cursor + width > maxX { (cursor, row) = (x, row + 1) }
            positions.append((cursor, row))
            cursor += width + 18
        }
        return (positions, labels.isEmpty ? 0 : row + 1)
    }

    /// Text safe inside XML.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// About `count` round tick values covering lo...hi (steps of 1, 2 or 5 times a power of ten).
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        return stride(from: (lo / step).rounded(.up) * step, through: hi + step * 1e-9, by: step).map { $0 }
    }

    /// A tick label: no more digits than the step needs.
    static func label(_ value: Double, step: Double) -> String {
        let digits = max(0, -Int(floor(log10(max(step, 1e-12)))))
        return String(format: "%.\(min(digits, 6))f", value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
