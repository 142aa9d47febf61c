import Foundation

/// The terminal table of one or more customized models (one column each), rows as the paper's Table 1 groups
/// them, each value with its 95% interval.
public enum MetricsTable {
    public struct Row: Sendable {
        public var group: String
        public var name: String
        /// "lower" or "higher" is better.
        public var better: String
        public var value: @Sendable (CustomizationMetrics) -> Estimate
    }

    public static let rows: [Row] = {
        func preservation(_ group: String, _ part: @escaping @Sendable (CustomizationMetrics) -> PreservationMetrics) -> [Row] {
            [Row(group: group, name: "FD (CLIP)", better: "lower") { part($0).frechetDistance },
             Row(group: group, name: "perceptual (probe)", better: "lower") { part($0).perceptualDistance },
             Row(group: group, name: "identity agreement", better: "higher") { part($0).identityAgreement },
             Row(group: group, name: "CLIP-I", better: "higher") { part($0).clipImage },
             Row(group: group, name: "Seg-Cons (mIoU)", better: "higher") { part($0).segmentationConsistency }]
        }
        return preservation("preservation: customized on full text vs original on base text", { $0.fullText })
            + [Row(group: "responsiveness", name: "CLIP-T", better: "higher") { $0.clipText },
               Row(group: "responsiveness", name: "target detected", better: "higher") { $0.targetDetection },
               Row(group: "responsiveness", name: "text response (full - base)", better: "higher") {
                   $0.textResponse ?? Estimate(value: .nan, low: .nan, high: .nan)
               }]
            + preservation("incremental learning: customized on base text vs original on base text", { $0.baseText })
            + [Row(group: "incremental learning", name: "target on base text", better: "lower") { $0.baseTextTargetRate }]
    }()

    public static func format(_ estimate: Estimate) -> String {
        estimate.value.isNaN ? "-" : String(format: "%.3f [%.3f, %.3f]", estimate.value, estimate.low, estimate.high)
    }

    public static func render(_ columns: [(name: String, metrics: CustomizationMetrics)]) -> String {
        let label = rows.map { $0.name.count + ($0.better == "lower" ? 17 : 0) }.max()! + 4
        let width = max(24, columns.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ n: Int) -> String { text.count >= n ? text : text + String(repeating: " ", count: n - text.count) }
        var lines: [String] = []
        if let first = columns.first?.metrics {
            lines.append("target: \(first.target), \(first.pairs) prompt/seed pairs; 95% bootstrap intervals; "
                         + "original model's target rate on base text: \(format(first.originalTargetRate))")
        }
        lines.append(pad("", label) + columns.map { pad($0.name, width) }.joined(separator: " "))
        var group = ""
        for row in rows {
            if row.group != group {
                group = row.group
                lines.append(group)
            }
            let arrow = row.better == "lower" ? " (lower better)" : ""
            lines.append(pad("  " + row.name + arrow, label) + columns.map { pad(format(row.value($0.metrics)), width) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
