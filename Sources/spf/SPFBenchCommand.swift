import ArgumentParser
import CLIP
import Diffusion
import Foundation
import NN
import Schedulers
import StableDiffusion
import Tokenizers
import Torch
import Training

/// `spf bench spf`: one SPF-Portrait stage-2 optimizer step as `spf train --method spf` takes it, on cached inputs
/// (latents and text embeddings computed once, as the engine's cache holds them): the reference path (original
/// attn2 values swapped in, no gradients), the response path with captures, the SFCM, L_diff + L_tc + L_fg,
/// backward, clipping to norm 1, AdamW, gradients to none. bench/spf.sh sets it beside two PyTorch versions.
struct SPFBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spf",
        abstract: "Time one SPF-Portrait stage-2 step (cross-attention trained, batch 1) on cached inputs."
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "sd15: a randomly initialised SD 1.5 UNet at 64x64 latents; world: the world pipeline at 16x16.")
    var size = "sd15"

    @Option(help: "The world folder (its pipeline for --size world, its CLIP tokenizer files for sd15).")
    var world = "models/world"

    @Option(help: "Timed iterations after one warm-up.")
    var iterations = 2

    /// The benchmark's caption (the PyTorch side uses the same one).
    static let caption = (base: "a woman, with long red hair, in a blue t-shirt, with a striped background", target: "with a red hat")

    func run() throws {
        try runtime.apply()
        let models = try loadModels()
        var config = TrainingConfig()
        config.model = models.modelPath
        config.method = .spf
        config.trainable = .crossAttention
        config.learningRate = 1e-4
        config.spf.lambdaEnh = 0
        config.spf.sfcmLayers = size == "world" ? ["1/1", "1/2"] : ["1/4", "1/2"]
        let method = try SPFMethod(models: models, config: config)
        let caption = try PortraitCaption(base: Self.caption.base, target: Self.caption.target, mode: .add, replaces: nil)
        let record = CaptionRecord(line: 1, fileName: "bench.png", text: caption.fullText, portrait: caption)
        // The cache's contents: every text's hidden states and the image's latents, computed before timing.
        var embeddings: [String: Tensor] = [:]
        try Tensor.withNoGrad {
            for text in method.texts(for: record) {
                let ids = models.tokenIDs(text)
                embeddings[text] = try models.textEncoder(Tensor(ids.map(Int64.init), shape: [1, ids.count])).lastHiddenState
                    .squeeze(dim: 0)
            }
        }
        let generator = try Generator(seed: 0)
        let side = size == "world" ? 16 : 64
        let latents = try Tensor.randn([1, 4, side, side], generator: generator)
        let batch = TrainingBatch(records: [record], latentParameters: try Tensor.cat([latents, latents.zerosLike()], dim: 1),
                                  embeddings: embeddings, step: 0)
        let draw = try method.objective.draw(latents: latents, noise: Tensor.randn([1, 4, side, side], generator: generator),
                                             timesteps: Tensor([Int64(500)]))
        let parameters = method.trainableParameters.map(\.tensor)
        for parameter in parameters { try parameter.setRequiresGrad(true) }
        let optimizer = try AdamW(parameters, lr: config.learningRate)
        let seconds = try OpsBenchmark.median(iterations: iterations, warmUp: 1) {
            try method.stage2(batch, draw: draw).loss.loss.backward()
            try clipGradNorm(parameters, maxNorm: 1)
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        print("{\"op\": \"spf_stage2_\(size)\", \"median_ms\": \(seconds * 1000), \"peak_rss_mb\": \(peakResidentMegabytes())}")
    }

    func loadModels() throws -> TrainingModels {
        let worldPath = { (name: String) in (world as NSString).appendingPathComponent(name) }
        switch size {
        case "world":
            let path = worldPath("pipeline")
            return try TrainingModels(pipeline: StableDiffusionPipeline.load(path: path), modelPath: path, tokenizerPath: nil)
        case "sd15":
            let factory = ParameterFactory(generator: try Generator(seed: 0))
            let pipeline = StableDiffusionPipeline(
                tokenizer: try CLIPTokenizer(directory: worldPath("clip")),
                textEncoder: try CLIPTextModel(.stableDiffusion15, factory: factory),
                unet: try UNet2DConditionModel(.stableDiffusion15, factory: factory),
                vae: try AutoencoderKL(.stableDiffusion15, factory: factory), schedulerConfig: SchedulerConfig())
            return try TrainingModels(pipeline: pipeline, modelPath: "random SD 1.5", tokenizerPath: nil)
        default:
            throw ValidationError("--size must be sd15 or world")
        }
    }
}
