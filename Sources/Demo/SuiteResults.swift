import Evaluation
import Foundation
import PortraitWorld

/// docs/results.md from the suite's cells: the paper's Table 1 layout (rows = methods, preservation then
/// responsiveness columns), means over the targets where every variant is measured, the paper's numbers beside
/// for direction, the ablations' direction of change against the paper's, and each target's table with its
/// 95% intervals.
public enum SuiteResults {
    typealias Variant = EvaluationSuite.Variant

    struct Column: Sendable {
        var name: String
        var lowerIsBetter: Bool
        var value: @Sendable (CustomizationMetrics) -> Estimate
        /// Index into `PaperTable1.Row.values` of the paper's column this one stands for.
        var paper: Int?
    }

    static let columns: [Column] = [
        Column(name: "FD (CLIP)", lowerIsBetter: true, value: { $0.fullText.frechetDistance }, paper: 0),
        Column(name: "perceptual", lowerIsBetter: true, value: { $0.fullText.perceptualDistance }, paper: 1),
        Column(name: "ID", lowerIsBetter: false, value: { $0.fullText.identityAgreement }, paper: 2),
        Column(name: "CLIP-I", lowerIsBetter: false, value: { $0.fullText.clipImage }, paper: 3),
        Column(name: "Seg-Cons", lowerIsBetter: false, value: { $0.fullText.segmentationConsistency }, paper: 4),
        Column(name: "CLIP-T", lowerIsBetter: false, value: { $0.clipText }, paper: 5),
        Column(name: "target detected", lowerIsBetter: false, value: { $0.targetDetection }, paper: nil),
        Column(name: "text response", lowerIsBetter: false,
               value: { $0.textResponse ?? Estimate(value: .nan, low: .nan, high: .nan) }, paper: nil),
        Column(name: "FD base text", lowerIsBetter: true, value: { $0.baseText.frechetDistance }, paper: nil),
        Column(name: "target on base text", lowerIsBetter: true, value: { $0.baseTextTargetRate }, paper: nil),
    ]

    static func header(_ columns: [Column]) -> String {
        "| Method | " + columns.map { $0.name + ($0.lowerIsBetter ? " ↓" : " ↑") }.joined(separator: " | ") + " |\n|---|"
            + String(repeating: "---|", count: columns.count) + "\n"
    }

    /// Targets (in order) where every variant has a cell.
    static func completeTargets(_ cells: [EvaluationSuite.Cell]) -> [PortraitTarget] {
        PortraitTarget.allCases.filter { target in Variant.allCases.allSatisfy { v in cells.contains { $0.target == target && $0.variant == v } } }
    }

    /// Mean of each column over `targets` for one variant.
    static func means(_ cells: [EvaluationSuite.Cell], _ variant: Variant, _ targets: [PortraitTarget]) -> [Double] {
        let chosen = cells.filter { $0.variant == variant && targets.contains($0.target) }
        return columns.map { column in chosen.map { column.value($0.metrics).value }.reduce(0, +) / Double(max(chosen.count, 1)) }
    }

    public static func markdown(cells: [EvaluationSuite.Cell], plan: EvaluationSuite.Plan, command: String) -> String {
        let complete = completeTargets(cells)
        let measured = PortraitTarget.allCases.filter { t in cells.contains { $0.target == t } }
        var text = """
        # Results: the paper's Table 1 in PortraitWorld

        Made by `\(command)` (`spf eval suite`, docs/evaluation.md) with the world model `\(plan.world)`. Every target: \
        naive fine-tuning (= stage 1), LoRA at ranks 4/16/64, SPF-Portrait stage 2 from that stage 1, and its ablations \
        (one loss weight set to 0, or `spf.sfcm = false`); the demo's settings otherwise (listed at the end). Each model \
        is measured on the same \(plan.settings.evaluationPairs) held-out prompt/seed pairs per target against the original \
        model on the base text: preservation (lower FD and perceptual distance, higher ID, CLIP-I, Seg-Cons are closer \
        to the original), responsiveness (CLIP-T, the probe's target detection), and incremental learning (the \
        customized model on the base text alone).


        """
        text += "Targets with every variant measured: \(complete.isEmpty ? "none yet" : complete.map(\.rawValue).joined(separator: ", ")) "
            + "(of \(PortraitTarget.allCases.count)); measured in part: "
            + "\(measured.filter { !complete.contains($0) }.map(\.rawValue).joined(separator: ", ").ifEmpty("none")); not started: "
            + "\(PortraitTarget.allCases.filter { !measured.contains($0) }.map(\.rawValue).joined(separator: ", ").ifEmpty("none")). "
            + "`spf eval suite` continues where it stopped.\n\n"

        if !complete.isEmpty {
            let loras: [Variant] = [.lora4, .lora16, .lora64]
            let best = loras.min { means(cells, $0, complete)[0] < means(cells, $1, complete)[0] }!
            text += "## Mean over the \(complete.count) complete target\(complete.count == 1 ? "" : "s")\n\n"
            text += "LoRA (best rank) is rank \(best.loraRank!): the lowest mean FD of the sweep (all ranks are in the per-target tables).\n\n"
            text += header(columns)
            let rows: [(String, Variant)] = [("Naive fine-tuning", .naive), ("LoRA (best rank: \(best.loraRank!))", best),
                                             ("SPF-Portrait", .spf), ("w/o L_tc", .noTC), ("w/o L_fg", .noFG),
                                             ("w/o L_enh", .noEnh), ("w/o SFCM", .noSFCM)]
            for (label, variant) in rows {
                text += "| \(label) | " + means(cells, variant, complete).map { $0.isNaN ? "-" : String(format: "%.3f", $0) }.joined(separator: " | ") + " |\n"
            }
            text += "\n" + paperTable() + "\n" + directions(cells, complete) + "\n"
        } else {
            text += paperTable() + "\n"
        }

        text += "## Per target (95% bootstrap intervals over the prompt/seed pairs)\n\n"
        for target in measured {
            text += "### \(target.rawValue)\n\n" + header(columns)
            for variant in Variant.allCases {
                guard let cell = cells.first(where: { $0.target == target && $0.variant == variant }) else {
                    text += "| \(variant.label) | " + columns.map { _ in "-" }.joined(separator: " | ") + " |\n"
                    continue
                }
                text += "| \(variant.label) | " + columns.map { column in
                    let e = column.value(cell.metrics)
                    return e.value.isNaN ? "-" : String(format: "%.3f [%.3f, %.3f]", e.value, e.low, e.high)
                }.joined(separator: " | ") + " |\n"
            }
            if let cell = cells.first(where: { $0.target == target }) {
                text += String(format: "\nOriginal model's target rate on the base text: %.3f. ", cell.metrics.originalTargetRate.value)
            }
            let seconds = cells.filter { $0.target == target }.reduce(0) { $0 + $1.trainingSeconds + $1.evaluationSeconds }
            text += String(format: "Training and measuring took %.0f s.\n\n", seconds)
        }

        text += "## Settings\n\n```json\n"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        text += (try? String(decoding: encoder.encode(plan.settings), as: UTF8.self)) ?? "{}"
        text += "\n```\n"
        return text
    }

    static func paperTable() -> String {
        var text = "## The paper's Table 1 (SD 1.5 on real portraits), for direction only\n\n"
        text += "Its FID, LPIPS, ID, CLIP-I, Seg-Cons (%) and CLIP-T stand where our FD (CLIP), perceptual, ID, CLIP-I, "
            + "Seg-Cons and CLIP-T stand; the scales differ (other feature spaces, another world), so only the order "
            + "of the rows and the direction of each change compare.\n\n"
        text += "| Method | FID ↓ | LPIPS ↓ | ID ↑ | CLIP-I ↑ | Seg-Cons ↑ | CLIP-T ↑ |\n|---|---|---|---|---|---|---|\n"
        for row in PaperTable1.rows {
            text += "| \(row.method) | " + row.values.map { String(format: "%.2f", $0) }.joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// Each ablation's change from SPF-Portrait, ours (mean over complete targets) and the paper's, and whether
    /// the two move the same way.
    static func directions(_ cells: [EvaluationSuite.Cell], _ targets: [PortraitTarget]) -> String {
        let compared = columns.filter { $0.paper != nil }
        var text = "## The ablations: change from SPF-Portrait, ours / the paper's\n\n"
        text += "✓ where both move the same way. The paper: w/o SFCM over-aligns (preservation up, CLIP-T down); w/o L_fg "
            + "loses the most preservation.\n\n"
        text += "| Ablation | " + compared.map(\.name).joined(separator: " | ") + " | target detected | text response |\n|---|"
            + String(repeating: "---|", count: compared.count + 2) + "\n"
        let spf = means(cells, .spf, targets)
        let paperSPF = PaperTable1.rows.first { $0.method == "SPF-Portrait" }!.values
        let detection = columns.firstIndex { $0.name == "target detected" }!
        let response = columns.firstIndex { $0.name == "text response" }!
        for variant in [Variant.noTC, .noFG, .noEnh, .noSFCM] {
            let ours = means(cells, variant, targets)
            let paper = PaperTable1.rows.first { $0.method == variant.label }!.values
            var parts: [String] = []
            for column in compared {
                let index = columns.firstIndex { $0.name == column.name }!
                let a = ours[index] - spf[index], b = paper[column.paper!] - paperSPF[column.paper!]
                let same = (a > 0 && b > 0) || (a < 0 && b < 0) || (a == 0 && b == 0)
                parts.append(String(format: "%+.3f / %+.2f %@", a, b, same ? "✓" : "✗"))
            }
            parts.append(String(format: "%+.3f", ours[detection] - spf[detection]))
            let change = ours[response] - spf[response]
            parts.append(change.isNaN ? "-" : String(format: "%+.3f", change))
            text += "| \(variant.label) | " + parts.joined(separator: " | ") + " |\n"
        }
        return text
    }
}

/// The paper's Table 1 rows that the suite reproduces (SD 1.5; ../shared/docs/method.md): FID, LPIPS, ID,
/// CLIP-I, Seg-Cons (%), CLIP-T.
enum PaperTable1 {
    struct Row: Sendable {
        var method: String
        var values: [Double]
    }

    static let rows: [Row] = [
        Row(method: "Naive fine-tuning", values: [20.41, 0.57, 0.21, 0.63, 57.77, 0.24]),
        Row(method: "LoRA (best rank)", values: [9.82, 0.38, 0.52, 0.71, 58.37, 0.27]),
        Row(method: "SPF-Portrait", values: [4.50, 0.35, 0.55, 0.83, 75.74, 0.30]),
        Row(method: "w/o L_tc", values: [4.97, 0.39, 0.48, 0.60, 61.39, 0.28]),
        Row(method: "w/o L_fg", values: [6.74, 0.42, 0.32, 0.71, 41.62, 0.27]),
        Row(method: "w/o L_enh", values: [4.52, 0.37, 0.49, 0.81, 74.38, 0.22]),
        Row(method: "w/o SFCM", values: [4.13, 0.14, 0.73, 0.88, 80.03, 0.17]),
    ]
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
