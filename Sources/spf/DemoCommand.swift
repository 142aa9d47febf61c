import ArgumentParser
import Demo
import Evaluation
import Foundation
import PortraitWorld

/// `spf demo`: the project's main job on the embedded default (docs/demo.md).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fine-tune the shipped world model naively, with LoRA and with SPF-Portrait; measure all three; write a report.",
        discussion: """
            Renders the target's fine-tuning set, runs stage 1 once (= naive fine-tuning), LoRA from the original \
            model, and SPF-Portrait stage 2 from the same stage 1; generates held-out prompts with every model on the \
            same seeds; prints the metric table (95% bootstrap intervals) and writes OUT/report.html (self-contained) \
            and OUT/metrics.json. Any setting can be changed with --set key=value (see the report's configuration \
            section for the names), e.g. --set spf_steps=120 --set sampling.steps=30.
            """
    )

    @Option(help: "The world model folder (pipeline/, clip/, probe/).")
    var world = "models/world"
    @Option(help: "Output folder (report.html, metrics.json, work/).")
    var out = "demo"
    @Option(help: "The target: \(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: String?
    @Option(help: "Seed of the fine-tuning set, the trainings and the evaluation prompts.")
    var seed: UInt64?
    @Option(name: .customLong("set"), parsing: .singleValue, help: "Any demo setting: key=value (repeatable).")
    var settings: [String] = []
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.apply()
        var demo = DemoSettings()
        if let target { demo.target = try parseTarget(target) }
        if let seed { demo.seed = seed }
        demo = try demo.applying(settings)
        let run = DemoRun(settings: demo, world: world, out: out)
        let lines = JobProgressLines()
        run.log = lines.log
        run.trainingProgress = lines.training
        run.generationProgress = lines.generation
        let result = try run.run()
        print(MetricsTable.render(result.methods.map { ($0.name, $0.metrics) }))
        print(String(format: "\nreport: %@ (metrics: %@), %.0f s", result.reportPath, result.metricsPath, result.seconds))
    }
}
