import ArgumentParser
import Evaluation
import Foundation
import RunLogs
import PortraitWorld
import StableDiffusion
import Torch

/// `spf eval`: one model (`spf eval model`, the default: `spf eval --original ...`) or the full suite.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure customized models against the original on held-out PortraitWorld prompts.",
        subcommands: [EvalModelCommand.self, EvalSuiteCommand.self],
        defaultSubcommand: EvalModelCommand.self
    )
}

/// `spf eval [model]`: one customized model against the original, on held-out world prompts.
struct EvalModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Measure a customized model against the original on held-out PortraitWorld prompts.",
        discussion: """
            For --pairs held-out prompts of the target (pre-training portraits, base text + target) and one seed \
            each, generates the original model on the base text and the customized model on the full text and on \
            the base text, and reports (95% bootstrap intervals over pairs): preservation (Frechet distance of world \
            CLIP image embeddings, probe perceptual distance, identity agreement, CLIP-I, Seg-Cons outside the \
            target's region), responsiveness (CLIP-T, the probe's target detection rate), and the same preservation \
            metrics on the base text (incremental learning). Prints a table; --json writes the numbers.             `spf eval suite` runs the full evaluation (every target, method and ablation).
            """
    )

    @Option(help: "The original model (diffusers folder).")
    var original: String
    @Option(help: "The customized model (diffusers folder).")
    var customized: String?
    @Option(help: "A LoRA file applied to the original model instead of --customized.")
    var lora: String?
    @Option(help: "The target: \(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: String
    @Option(help: "The world model folder whose clip/ and probe/ measure.")
    var world = "models/world"
    @Option(help: "Held-out prompt/seed pairs.")
    var pairs = 32
    @Option(help: "Seed of the prompts (prompt i uses seed + i).")
    var seed: UInt64 = 1_000_000
    @OptionGroup var sampling: SamplingOptions
    @Option(help: "Write the metrics as JSON here.")
    var json: String?
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.apply()
        guard (customized == nil) != (lora == nil) else { throw InputError("give either --customized or --lora") }
        guard (2...10_000).contains(pairs) else { throw InputError("--pairs must be in 2...10000, got \(pairs)") }
        let target = try parseTarget(target)
        if let json { try checkParentFolder(json, option: "--json") }
        let settings = try sampling.settings()
        let evaluator = try WorldEvaluator(world: world)
        let originalModel = try StableDiffusionPipeline.load(path: original)
        let customizedModel: StableDiffusionPipeline
        if let lora {
            customizedModel = try StableDiffusionPipeline.load(path: original)
            _ = try customizedModel.loadLoRA(lora)
        } else {
            customizedModel = try StableDiffusionPipeline.load(path: customized!)
        }
        let prompts = try EvaluationPrompts.world(target: target, count: pairs, seed: seed)
        let seeds = prompts.map(\.seed)
        func generate(_ label: String, _ pipeline: StableDiffusionPipeline, _ texts: [String]) throws -> Tensor {
            let progress = ProgressReporter(label: label)
            return try ImageSetGeneration.generate(pipeline, prompts: texts, seeds: seeds, settings: settings) {
                progress.update($0, of: texts.count)
            }
        }
        let bases = prompts.map(\.caption.base), fulls = prompts.map(\.caption.fullText)
        let metrics = try CustomizationMetrics.measure(
            target: target, fullTexts: fulls, original: generate("original, base text", originalModel, bases),
            customizedFull: generate("customized, full text", customizedModel, fulls),
            customizedBase: generate("customized, base text", customizedModel, bases), evaluator: evaluator)
        print(MetricsTable.render([("customized", metrics)]))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try replaceAtomically(path: json, with: [UInt8](encoder.encode(metrics)))
        }
    }
}
