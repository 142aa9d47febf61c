import Evaluation
import Foundation
import Imaging
import Torch
import Training

/// The demo's one self-contained HTML file: images as PNG data URIs, curves as inline SVG, no scripts and no
/// external resources, so it reads offline and can be mailed.
public struct DemoReport {
    public let settings: DemoSettings
    public let world: String
    public let evaluation: DemoRun.Evaluation
    public let maps: SPFMapSnapshot
    public let seconds: Double

    /// metrics.json: the settings, the wall time, and every method's metrics.
    public static func metricsJSON(settings: DemoSettings, methods: [DemoRun.MethodResult], seconds: Double,
                                   sfcmGroundTruth: SPFMapSnapshot.GroundTruthOverlap? = nil) throws -> Data {
        struct File: Encodable {
            var settings: DemoSettings
            var seconds: Double
            var methods: [String: CustomizationMetrics]
            var sfcmGroundTruth: SPFMapSnapshot.GroundTruthOverlap?

            enum CodingKeys: String, CodingKey { case settings, seconds, methods, sfcmGroundTruth = "sfcm_ground_truth" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(File(settings: settings, seconds: seconds,
                                       methods: Dictionary(uniqueKeysWithValues: methods.map { ($0.name, $0.metrics) }),
                                       sfcmGroundTruth: sfcmGroundTruth))
    }

    public func html() throws -> String {
        var body: [String] = []
        let target = settings.target
        body.append("<h1>SPF-Portrait in PortraitWorld: target “\(escape(target.rawValue))”</h1>")
        body.append("""
            <p>A small text-to-image model (the Stable Diffusion 1.5 architecture at PortraitWorld size, \
            <code>\(escape(world))</code>) was fine-tuned on \(settings.trainingImages) portraits that all show the target \
            (“\(escape(evaluation.prompts.first?.caption.target ?? target.rawValue))”) and come from a shifted distribution. \
            <b>Naive</b> fine-tuning (\(settings.naiveSteps) steps, which is also SPF's stage 1), <b>LoRA</b> \
            (rank \(settings.loraRank), \(settings.loraSteps) steps) and <b>SPF-Portrait</b> (stage 2, \
            \(settings.spfSteps) steps from the same stage 1) were then compared with the original model on \
            \(settings.evaluationPairs) held-out prompts and seeds. The customized models should add the target and change \
            nothing else. Wall time \(String(format: "%.0f", seconds)) s.</p>
            """)
        body.append("<h2>Metrics</h2>")
        body.append(metricTable())
        body.append("<h2>Full text: the target should appear, nothing else should change</h2>")
        body.append(try grid(full: true))
        body.append("<h2>Base text alone: every model should still draw the original</h2>")
        body.append(try grid(full: false))
        body.append("<h2>Where SPF-Portrait lets the model change: the control map</h2>")
        body.append(try controlMaps())
        body.append("<h2>Training curves</h2>")
        body.append(try curves())
        body.append("<h2>Configuration</h2>")
        body.append(try configuration())
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>SPF-Portrait demo: \(escape(target.rawValue))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; max-width: 72em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; font-size: 13px; }
            th { background: #f3f3f3; }
            td.best { font-weight: bold; background: #eaf6ea; }
            tr.group td { background: #fafafa; font-style: italic; }
            img.tile { width: 128px; height: 128px; image-rendering: pixelated; display: block; }
            .caption { max-width: 20em; font-size: 12px; }
            pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
            </style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>
            """
    }

    func metricTable() -> String {
        let methods = evaluation.methods
        var rows = ["<table id=\"metrics\"><tr><th>metric</th>" + methods.map { "<th>\(escape($0.name))</th>" }.joined() + "</tr>"]
        var group = ""
        for row in MetricsTable.rows {
            if row.group != group {
                group = row.group
                rows.append("<tr class=\"group\"><td colspan=\"\(methods.count + 1)\">\(escape(group))</td></tr>")
            }
            let values = methods.map { row.value($0.metrics).value }
            let best = row.better == "lower" ? values.min() : values.max()
            rows.append("<tr><td>\(escape(row.name))\(row.better == "lower" ? " ↓" : " ↑")</td>" + methods.map { method in
                let estimate = row.value(method.metrics)
                let mark = estimate.value == best && methods.count > 1 ? " class=\"best\"" : ""
                return "<td\(mark)>\(escape(MetricsTable.format(estimate)))</td>"
            }.joined() + "</tr>")
        }
        rows.append("</table>")
        if let first = methods.first?.metrics {
            rows.append("<p>95% bootstrap intervals over \(first.pairs) prompt/seed pairs. The probe sees the target in "
                        + "\(escape(MetricsTable.format(first.originalTargetRate))) of the original model's base-text images "
                        + "(its false-positive floor).</p>")
        }
        return rows.joined(separator: "\n")
    }

    func grid(full: Bool) throws -> String {
        let shown = min(settings.shownPairs, evaluation.prompts.count)
        var html = ["<table><tr><th>prompt</th><th>original, base text</th>"
                    + evaluation.images.map { "<th>\(escape($0.name)), \(full ? "full" : "base") text</th>" }.joined() + "</tr>"]
        for i in 0..<shown {
            let prompt = evaluation.prompts[i]
            var cells = ["<td class=\"caption\">\(escape(prompt.caption.base))<br><b>+ \(escape(prompt.caption.target))</b>"
                         + "<br>seed \(prompt.seed)</td>", try tile(evaluation.original, i)]
            for set in evaluation.images { cells.append(try tile(full ? set.full : set.base, i)) }
            html.append("<tr>" + cells.joined() + "</tr>")
        }
        html.append("</table>")
        return html.joined(separator: "\n")
    }

    func tile(_ images: Tensor, _ index: Int) throws -> String {
        try imageCell(RGBImage(tensor: images.select(dim: 0, index: index)), alt: "image \(index)")
    }

    func controlMaps() throws -> String {
        var html = ["<p>Fine-tuning examples at timestep \(maps.timestep), through the finished SPF model: the Semantic-Aware "
                    + "Fine Control Map M (bright: where the target lives, so where the response path is free to differ "
                    + "from the original; dark: aligned to the original's attention and features) and the response path's "
                    + "attention to the target phrase (mean over the SFCM layers, scaled to its maximum).</p>",
                    "<table><tr><th>fine-tuning text</th><th>image</th><th>SFCM M</th><th>target attention</th></tr>"]
        for example in maps.examples {
            let control = try example.image.heatMapOverlay(example.controlMap, height: example.height, width: example.width)
            let attention = try example.image.heatMapOverlay(example.targetAttention, height: example.height,
                                                       width: example.width)
            html.append("<tr><td class=\"caption\">\(escape(example.caption.base))<br><b>+ \(escape(example.caption.target))</b></td>"
                        + (try [example.image, control, attention].map { try imageCell($0, alt: "map") }.joined()) + "</tr>")
        }
        html.append("</table>")
        if let truth = maps.groundTruth {
            html.append(String(format: "<p>Against the ground-truth label maps of these %d examples: M averages <b>%.3f</b> on the "
                               + "target's region and <b>%.3f</b> elsewhere (the region is %.1f%% of the image); the target phrase's "
                               + "attention %.3f there and %.3f elsewhere, and its correlation with M is %.2f. A control map that "
                               + "finds the target is high on it and low elsewhere.</p>",
                               truth.examples, truth.meanInside, truth.meanOutside, 100 * truth.areaFraction,
                               truth.attentionInside, truth.attentionOutside, truth.attentionMapCorrelation))
        }
        return html.joined(separator: "\n")
    }

    func imageCell(_ image: RGBImage, alt: String) throws -> String {
        "<td><img class=\"tile\" alt=\"\(alt)\" src=\"data:image/png;base64,\(Data(try PNGWriter.encode(image)).base64EncodedString())\"></td>"
    }

    func curves() throws -> String {
        var charts: [String] = []
        for (name, run) in zip(evaluation.methods.map(\.name), evaluation.runs) {
            let path = (run as NSString).appendingPathComponent("metrics.jsonl")
            let series = try LossCurves.read(path, names: ["loss", "loss_diffusion", "loss_tc", "loss_fg", "loss_enh"])
            charts.append(LossCurves.svg(title: name, series))
        }
        return "<div>" + charts.joined(separator: "\n") + "</div>"
    }

    func configuration() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var parts = ["<h3>demo</h3><pre>\(escape(String(decoding: try encoder.encode(settings), as: UTF8.self)))</pre>"]
        for (name, run) in zip(evaluation.methods.map(\.name), evaluation.runs) {
            let config = (try? String(contentsOfFile: (run as NSString).appendingPathComponent("config.json"), encoding: .utf8)) ?? ""
            parts.append("<h3>\(escape(name)) (\(escape(run))/config.json)</h3><pre>\(escape(config))</pre>")
        }
        return parts.joined(separator: "\n")
    }

    func escape(_ text: String) -> String { LossCurves.escape(text) }
}
