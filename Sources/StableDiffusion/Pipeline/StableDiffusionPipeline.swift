import CLIP
import Diffusion
import Foundation
import InputChecks
import NN
import Schedulers
import Tokenizers
import Torch

/// Text-to-image with classifier-free guidance, step for step as diffusers' StableDiffusionPipeline:
/// the same prompt encoding, initial-noise draw, scheduler calls, guidance arithmetic and VAE decoding, so
/// that given the same initial latents and a deterministic scheduler the images agree with diffusers'.
public final class StableDiffusionPipeline {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let schedulerConfig: SchedulerConfig
    public let device: Device
    public let dtype: DType

    public init(tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel, unet: UNet2DConditionModel, vae: AutoencoderKL,
                schedulerConfig: SchedulerConfig, device: Device = .cpu, dtype: DType = .float32) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.unet = unet
        self.vae = vae
        self.schedulerConfig = schedulerConfig
        self.device = device
        self.dtype = dtype
    }

    /// Loads every component of a diffusers folder (fp32 or fp16 weights; `variant: "fp16"` picks the
    /// `*.fp16.safetensors` files) onto `device` in `dtype`.
    public static func load(path: String, dtype: DType = .float32, device: Device = .cpu, variant: String? = nil) throws
        -> StableDiffusionPipeline
    {
        let folder = try DiffusersFolder(path: path)
        let factory = ParameterFactory(dtype: dtype, device: device)

        // Every config first (small files, each error naming file and key), then the weights.
        let unetPart = try folder.component(.unet)
        let unetConfig = try UNet2DConditionConfig.load(unetPart.configPath)
        let vaePart = try folder.component(.vae)
        let vaeConfig = try AutoencoderKLConfig.load(vaePart.configPath)
        let textPart = try folder.component(.textEncoder)
        let textConfig = try CLIPTextConfig.load(contentsOf: URL(fileURLWithPath: textPart.configPath))
        let schedulerConfig = try SchedulerConfig.load(
            contentsOf: URL(fileURLWithPath: folder.component("scheduler").configPath))
        let tokenizerPath = try folder.component("tokenizer").path
        let tokenizer = try CLIPTokenizer(directory: tokenizerPath)

        let unet = try UNet2DConditionModel(unetConfig, factory: factory)
        let unetWeights = try unetPart.loadWeights(variant: variant, dtype: dtype, device: device)
        try requireFinite(unetWeights, source: unetPart.path)
        try unet.load(unetWeights, source: unetPart.path)

        let vae = try AutoencoderKL(vaeConfig, factory: factory)
        let vaeWeights = try vaePart.loadWeights(variant: variant, dtype: dtype, device: device)
        try requireFinite(vaeWeights, source: vaePart.path)
        try vae.load(vaeWeights, source: vaePart.path)

        let textEncoder = try CLIPTextModel(textConfig, factory: factory)
        let textWeights = try textPart.loadWeights(variant: variant, dtype: dtype, device: device)
        try requireFinite(textWeights, source: textPart.path)
        try textEncoder.load(normalizedTextEncoderWeights(textWeights), source: textPart.path)

        let pipeline = StableDiffusionPipeline(tokenizer: tokenizer, textEncoder: textEncoder, unet: unet, vae: vae,
                                               schedulerConfig: schedulerConfig, device: device, dtype: dtype)
        pipeline.tokenizerSource = tokenizerPath
        pipeline.textEncoderSource = textPart.configPath
        return pipeline
    }

    /// Where the tokenizer and the text encoder's config came from, for errors (nil when built in code).
    public var tokenizerSource: String?
    public var textEncoderSource: String?

    /// How many pixels one latent cell covers: 2^(VAE levels - 1), 8 for SD.
    public var vaeScaleFactor: Int { 1 << (vae.config.blockOutChannels.count - 1) }

    /// The image side the UNet was trained for, as diffusers' default height and width: unet sample_size x
    /// vae_scale_factor (512 for SD 1.5, 64 for the world model; 512 when the config has no sample_size).
    public var defaultImageSize: Int { unet.config.sampleSize.map { $0 * vaeScaleFactor } ?? 512 }

    /// The CLIP conditioning of one prompt: [1, 77, hidden] (or the clip-skip layer, as diffusers does).
    public func encodePrompt(_ prompt: String, clipSkip: Int? = nil) throws -> Tensor {
        let ids = tokenizer(prompt, maxLength: tokenizer.modelMaxLength ?? 77)
        // An id past the embedding table would fail inside libtorch as "index out of range in self".
        let vocabSize = textEncoder.textModel.config.vocabSize
        if let bad = ids.first(where: { $0 >= vocabSize }) {
            throw PipelineError("\(tokenizerSource ?? "the tokenizer"): token id \(bad) of the prompt is past the text "
                + "encoder's \(vocabSize) token embeddings (vocab_size in \(textEncoderSource ?? "its config")): "
                + "tokenizer and text encoder do not belong together")
        }
        let input = try Tensor(ids.map(Int64.init), shape: [1, ids.count], device: device)
        let output = try textEncoder(input)
        let embeds = try clipSkip.map { try textEncoder.textModel.clipSkipEmbeddings(output, clipSkip: $0) }
            ?? output.lastHiddenState
        return try embeds.to(dtype)
    }

    /// Runs the sampler and returns images [B, 3, H, W] in [-1, 1]. `initialLatents` ([B, C, H/8, W/8],
    /// before scaling by the scheduler's init_noise_sigma, as diffusers' `latents=` argument) replaces the
    /// seeded draw. `progress(step, total)` is called after each step.
    public func generate(_ options: GenerationOptions, initialLatents: Tensor? = nil, clipSkip: Int? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        try options.validate()
        let scheduler = try makeScheduler(name: schedulerName(for: options), config: schedulerConfig)
        let latentShape = [options.batchSize, unet.config.inChannels,
                           options.height / vaeScaleFactor, options.width / vaeScaleFactor]
        if let initialLatents, initialLatents.shape != latentShape {
            throw PipelineError("initial latents have shape \(initialLatents.shape), expected \(latentShape)")
        }
        if let initialLatents, try !isAllFinite(initialLatents) {
            throw PipelineError("the initial latents contain NaN or infinity")
        }
        return try Tensor.withNoGrad {
            // diffusers: prompt_embeds.repeat(1, n, 1).view(B * n, S, -1).
            let conditioning = try encodePrompt(options.prompt, clipSkip: clipSkip).repeated([options.batchSize, 1, 1])
            let unconditional = options.usesGuidance
                ? try encodePrompt(options.negativePrompt, clipSkip: clipSkip).repeated([options.batchSize, 1, 1]) : nil
            let loop = DenoisingLoop(unet: unet, scheduler: scheduler, guidanceScale: options.guidanceScale,
                                     guidanceRescale: options.guidanceRescale,
                                     projectedGuidance: options.projectedGuidance, dtype: dtype, device: device)
            let latents = try loop(conditioning: conditioning, unconditional: unconditional, latentShape: latentShape,
                                   initialLatents: initialLatents, generator: Generator(seed: options.seed),
                                   steps: options.steps, progress: progress)
            // A NaN or infinity anywhere (weights, a config value, an extreme guidance scale) would otherwise be
            // written out as a black image with exit status 0.
            guard try isAllFinite(latents) else {
                throw PipelineError("denoising produced NaN or infinite latents (guidance scale \(options.guidanceScale), "
                    + "\(options.steps) steps): the model's weights or configuration give no usable result")
            }
            let images = try decode(latents)
            guard try isAllFinite(images) else {
                throw PipelineError("the VAE decoded NaN or infinite pixels (scaling_factor \(vae.config.scalingFactor)): "
                    + "the VAE's weights or configuration give no usable image")
            }
            return images
        }
    }

    /// The sampler `generate` uses: the one asked for, else the folder's own class when we implement it,
    /// else DDIM (SD 1.5 folders name PNDMScheduler, which we do not implement; DDIM is the usual choice).
    public func schedulerName(for options: GenerationOptions) -> String {
        Self.schedulerName(for: options, config: schedulerConfig)
    }

    /// `schedulerName(for:)` for a scheduler config read before the pipeline is loaded.
    public static func schedulerName(for options: GenerationOptions, config: SchedulerConfig) -> String {
        if let name = options.scheduler { return name }
        if let name = config.className, schedulerNames.contains(name) { return name }
        return "DDIMScheduler"
    }

    /// UNet latents to images in [-1, 1] (the VAE runs in the pipeline's dtype).
    public func decode(_ latents: Tensor) throws -> Tensor {
        try vae.decode(latents / vae.config.scalingFactor)
    }
}

/// Text-encoder files name parameters three ways: `text_model.*` (SD 1.5 folders, transformers 4), without
/// the prefix (transformers 5's save_pretrained), and with a `position_ids` buffer (older transformers).
/// All become the `text_model.*` names of `CLIPTextModel`.
func normalizedTextEncoderWeights(_ weights: [String: Tensor]) -> [String: Tensor] {
    let prefixed = weights.keys.contains { $0.hasPrefix("text_model.") }
    var result: [String: Tensor] = [:]
    for (key, tensor) in weights {
        let name = prefixed ? key : "text_model." + key
        if name == "text_model.embeddings.position_ids" { continue }
        result[name] = tensor
    }
    return result
}

/// True when every element of a floating-point tensor is finite (integer tensors always are).
func isAllFinite(_ tensor: Tensor) throws -> Bool {
    guard tensor.dtype.isFloatingPoint, tensor.numel > 0 else { return true }
    return try tensor.isFinite().all().item() != 0
}

/// Refuses weights holding NaN or infinity, naming the first such tensor: they would give black images.
func requireFinite(_ weights: [String: Tensor], source: String) throws {
    for name in weights.keys.sorted() where try !isAllFinite(weights[name]!) {
        throw PipelineError("\(source): tensor '\(name)' contains NaN or infinity")
    }
}
