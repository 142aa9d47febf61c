import Evaluation
import Foundation
import PortraitWorld
import RunLogs
import StableDiffusion
import Torch
import Training
import WorldModels

/// `spf demo`: from the shipped world models to a measured report, in one process. Renders the target's
/// fine-tuning set, runs stage 1 once (which is naive fine-tuning), LoRA from the original model, and
/// SPF-Portrait stage 2 from stage 1; generates the held-out evaluation prompts with every model on the
/// same seeds; measures each against the original; writes OUT/report.html and OUT/metrics.json.
///
/// Layout: OUT/work/data (the fine-tuning set), OUT/work/{naive,lora,spf} (run folders), OUT/work/cache
/// (latents and texts, shared by the runs), OUT/report.html, OUT/metrics.json. A rerun replaces the runs
/// and keeps the data and caches that are still valid.
public final class DemoRun {
    public let settings: DemoSettings
    public let world: String
    public let out: String
    /// Status lines.
    public var log: (String) -> Void = { _ in }
    /// Training progress of the named run.
    public var trainingProgress: (String, TrainingProgress) -> Void = { _, _ in }
    /// Evaluation progress: (what, done, total) images.
    public var generationProgress: (String, Int, Int) -> Void = { _, _, _ in }

    public init(settings: DemoSettings, world: String, out: String) {
        self.settings = settings
        self.world = world
        self.out = out
    }

    public struct Result {
        public var methods: [MethodResult]
        public var reportPath: String
        public var metricsPath: String
        public var seconds: Double
    }

    public struct MethodResult {
        public var name: String
        public var run: String
        public var metrics: CustomizationMetrics
    }

    func path(_ relative: String) -> String { (out as NSString).appendingPathComponent(relative) }
    func worldPath(_ relative: String) -> String { (world as NSString).appendingPathComponent(relative) }

    public func run() throws -> Result {
        let start = Date()
        try settings.validate()
        try checkWorldFolder()
        try FileManager.default.createDirectory(atPath: path("work"), withIntermediateDirectories: true)
        let data = try fineTuningSet()

        let naive = try train("naive", data: data, configureNaive)
        let lora = try train("lora", data: data) { self.configureLoRA(&$0, rank: self.settings.loraRank) }
        let spf = try train("spf", data: data) { self.configureSPF(&$0, from: naive) }

        let evaluation = try evaluate([("naive", naive.path, try loadModel(naive, lora: false)),
                                       ("LoRA", lora.path, try loadModel(lora, lora: true)),
                                       ("SPF-Portrait", spf.path, try loadModel(spf, lora: false))])
        log("control maps: SFCM and target attention of \(settings.shownMaps) fine-tuning examples")
        let maps = try SPFMapSnapshot.compute(run: spf.path, count: settings.shownMaps, seed: settings.seed, target: settings.target)
        let seconds = Date().timeIntervalSince(start)
        let metricsPath = path("metrics.json")
        try writeAtomically(try DemoReport.metricsJSON(settings: settings, methods: evaluation.methods, seconds: seconds,
                                                       sfcmGroundTruth: maps.groundTruth),
                            to: metricsPath)
        let report = DemoReport(settings: settings, world: world, evaluation: evaluation, maps: maps, seconds: seconds)
        let reportPath = path("report.html")
        try writeAtomically(Data(try report.html().utf8), to: reportPath)
        return Result(methods: evaluation.methods, reportPath: reportPath, metricsPath: metricsPath, seconds: seconds)
    }

    func checkWorldFolder() throws {
        for part in ["pipeline/model_index.json", "clip/config.json", "probe/config.json"]
        where !FileManager.default.fileExists(atPath: worldPath(part)) {
            throw DemoError("\(world) is not a world model folder: \(worldPath(part)) is missing (the shipped one is "
                            + "models/world; `spf world pretrain --out DIR` makes another)")
        }
    }

    /// The target's fine-tuning set, rendered once per (target, seed, count).
    func fineTuningSet() throws -> String {
        let data = path("work/data-\(settings.target.rawValue)-\(settings.seed)-\(settings.trainingImages)")
        if !FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent("metadata.jsonl")) {
            log("rendering \(settings.trainingImages) fine-tuning images of target '\(settings.target.rawValue)'")
            try? FileManager.default.removeItem(atPath: data)
            _ = try WorldDataset(kind: .finetune, target: settings.target, count: settings.trainingImages,
                                 seed: settings.seed).write(to: data)
        }
        return data
    }

    /// Stage 1, which is naive fine-tuning.
    func configureNaive(_ config: inout TrainingConfig) {
        config.method = .naive
        config.trainable = settings.trainable
        config.steps = settings.naiveSteps
        config.learningRate = settings.naiveLearningRate
    }

    /// LoRA from the original model (alpha = rank: the update's scale does not change with the rank).
    func configureLoRA(_ config: inout TrainingConfig, rank: Int) {
        config.method = .lora
        config.steps = settings.loraSteps
        config.learningRate = settings.loraLearningRate
        config.lora.rank = rank
        config.lora.alpha = Double(rank)
    }

    /// SPF-Portrait stage 2 from the stage-1 run `naive`.
    func configureSPF(_ config: inout TrainingConfig, from naive: RunFolder) {
        config.method = .spf
        config.trainable = settings.trainable
        config.initFrom = naive.path
        config.steps = settings.spfSteps
        config.learningRate = settings.spfLearningRate
        config.spf = settings.spf
        config.spf.clipModel = settings.spf.clipModel ?? worldPath("clip")
    }

    func train(_ name: String, data: String, _ configure: (inout TrainingConfig) -> Void) throws -> RunFolder {
        var config = TrainingConfig()
        config.model = worldPath("pipeline")
        config.data = data
        config.out = path("work/\(name)")
        config.batchSize = settings.batchSize
        config.resolution = settings.sampling.size
        config.seed = settings.seed
        config.logEvery = 5
        config.cacheDirectory = path("work/cache")
        configure(&config)
        config.checkpointEvery = config.steps
        config.keepCheckpoints = 1
        var session = TrainingSession(config: config, resume: false, overwrite: true)
        session.log = { [log] in log("\(name): \($0)") }
        session.hooks.progress = { [trainingProgress] in trainingProgress(name, $0) }
        log("\(name): \(config.steps) steps, batch \(config.batchSize), lr \(config.learningRate)")
        let result = try session.run()
        guard case .finished = result.outcome else { throw DemoError("\(name): training stopped before the end") }
        return result.run
    }

    func loadModel(_ run: RunFolder, lora: Bool) throws -> StableDiffusionPipeline {
        if lora {
            let pipeline = try StableDiffusionPipeline.load(path: worldPath("pipeline"))
            _ = try pipeline.loadLoRA((LoRAExport.folder(run) as NSString).appendingPathComponent(LoRAExport.diffusersFileName))
            return pipeline
        }
        return try StableDiffusionPipeline.load(path: run.modelPath)
    }

    /// Everything the report shows: the prompts, every image set, the metrics.
    public struct Evaluation {
        public var prompts: [EvaluationPrompts.Prompt]
        public var original: Tensor
        public var images: [(name: String, full: Tensor, base: Tensor)]
        public var methods: [MethodResult]
        public var runs: [String]
    }

    /// The held-out prompts (base text + target, one seed each) every model is measured on.
    func evaluationPrompts() throws -> [EvaluationPrompts.Prompt] {
        try EvaluationPrompts.world(target: settings.target, count: settings.evaluationPairs, seed: settings.seed &+ 1_000_000)
    }

    func generate(_ what: String, _ pipeline: StableDiffusionPipeline, _ texts: [String], seeds: [UInt64]) throws -> Tensor {
        log("generating \(texts.count) images: \(what)")
        return try ImageSetGeneration.generate(pipeline, prompts: texts, seeds: seeds, settings: settings.sampling) {
            self.generationProgress(what, $0, texts.count)
        }
    }

    /// The original model on the base texts: what every customized model is compared with.
    func generateOriginal(_ prompts: [EvaluationPrompts.Prompt]) throws -> Tensor {
        try generate("original, base text", StableDiffusionPipeline.load(path: worldPath("pipeline")), prompts.map(\.caption.base),
                     seeds: prompts.map(\.seed))
    }

    /// One customized model on the full and the base texts, measured against `original`.
    func measure(_ name: String, _ pipeline: StableDiffusionPipeline, prompts: [EvaluationPrompts.Prompt], original: Tensor,
                 evaluator: WorldEvaluator) throws -> (full: Tensor, base: Tensor, metrics: CustomizationMetrics) {
        let seeds = prompts.map(\.seed)
        let bases = prompts.map(\.caption.base), fulls = prompts.map(\.caption.fullText)
        let full = try generate("\(name), full text", pipeline, fulls, seeds: seeds)
        let base = try generate("\(name), base text", pipeline, bases, seeds: seeds)
        let metrics = try CustomizationMetrics.measure(
            target: settings.target, fullTexts: fulls, original: original, customizedFull: full, customizedBase: base,
            evaluator: evaluator, bootstrap: Bootstrap(replicates: settings.bootstrapReplicates, seed: settings.seed))
        return (full, base, metrics)
    }

    func evaluate(_ models: [(name: String, run: String, pipeline: StableDiffusionPipeline)]) throws -> Evaluation {
        let prompts = try evaluationPrompts()
        let evaluator = try WorldEvaluator(world: world)
        let original = try generateOriginal(prompts)
        var images: [(name: String, full: Tensor, base: Tensor)] = []
        var methods: [MethodResult] = []
        for model in models {
            let measured = try measure(model.name, model.pipeline, prompts: prompts, original: original, evaluator: evaluator)
            images.append((model.name, measured.full, measured.base))
            methods.append(MethodResult(name: model.name, run: model.run, metrics: measured.metrics))
        }
        return Evaluation(prompts: prompts, original: original, images: images, methods: methods, runs: models.map(\.run))
    }

    func writeAtomically(_ data: Data, to target: String) throws {
        // A reader (or a crash) sees the old report or the new one, never half of one.
        try replaceAtomically(path: target, with: [UInt8](data))
    }

}
