import Foundation

/// Training curves as inline SVG, read from a run's metrics.jsonl (one JSON object per line with "step").
public enum LossCurves {
    /// (step, value) series of the given scalar names that the file holds.
    public static func read(_ path: String, names: [String]) throws -> [(name: String, points: [(Double, Double)])] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var series: [String: [(Double, Double)]] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = (object["step"] as? NSNumber)?.doubleValue else {
                throw DemoError("\(path): a line is not a metrics record with a step")
            }
            for name in names {
                if let value = (object[name] as? NSNumber)?.doubleValue, value.isFinite { series[name, default: []].append((step, value)) }
            }
        }
        return names.compactMap { name in series[name].map { (name, $0) } }
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    /// One chart: every series on a shared step axis, each scaled to its own range (the legend gives it),
    /// since loss terms differ by orders of magnitude.
    public static func svg(title: String, _ series: [(name: String, points: [(Double, Double)])],
                           width: Int = 420, height: Int = 200) -> String {
        let (left, right, top, bottom) = (10.0, 10.0, 24.0, 18.0 + 14.0 * Double(series.count))
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let steps = series.flatMap { $0.points.map(\.0) }
        let (minStep, maxStep) = (steps.min() ?? 0, steps.max() ?? 1)
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">",
                     "<text x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>",
                     "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#ccc\"/>"]
        for (i, entry) in series.enumerated() {
            let values = entry.points.map(\.1)
            let (low, high) = (values.min() ?? 0, values.max() ?? 1)
            let span = high > low ? high - low : 1
            let points = entry.points.map { step, value in
                let x = left + (maxStep > minStep ? (step - minStep) / (maxStep - minStep) : 0) * plotWidth
                let y = top + (1 - (value - low) / span) * plotHeight
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
            let colour = colours[i % colours.count]
            parts.append("<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>")
            let legendY = top + plotHeight + 14 + 14 * Double(i)
            parts.append("<text x=\"\(left)\" y=\"\(legendY)\" font-size=\"11\" fill=\"\(colour)\">"
                         + escape(entry.name + String(format: ": %.4g -> %.4g (range %.4g..%.4g), steps %.0f-%.0f",
                                                      values.first ?? 0, values.last ?? 0, low, high, minStep, maxStep))
                         + "</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
