import Schedulers
import StableDiffusion
import Torch

/// Sampling settings of an evaluation (the same for every model compared).
public struct SamplingSettings: Codable, Equatable, Sendable {
    public var steps = 25
    /// 3: on the shipped world model (v-prediction UNet) guidance 3 beats 5 on every quality figure (caption
    /// agreement 86.0% vs 84.1%, false targets 11.3% vs 19.1%, Frechet 0.055 vs 0.059; docs/portrait-world.md).
    public var guidanceScale = 3.0
    /// diffusers' `guidance_rescale` (0: plain guidance; `DenoisingLoop.guidanceRescale`).
    public var guidanceRescale = 0.0
    /// Adaptive projected guidance (`.none`: plain classifier-free guidance; `DenoisingLoop.projectedGuidance`).
    public var projectedGuidance = AdaptiveProjectedGuidance.none
    public var scheduler = "DDIMScheduler"
    public var size = 64
    /// Images denoised together (memory, not results: each image's noise comes from its own seed).
    public var batchSize = 32

    enum CodingKeys: String, CodingKey {
        case steps, guidanceScale = "guidance_scale", guidanceRescale = "guidance_rescale", scheduler, size
        case projectedGuidance = "apg"
        case batchSize = "batch_size"
    }

    public init() {}

    /// `guidance_rescale` and `apg` may be absent (settings written before they existed mean plain guidance).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steps = try container.decode(Int.self, forKey: .steps)
        guidanceScale = try container.decode(Double.self, forKey: .guidanceScale)
        guidanceRescale = try container.decodeIfPresent(Double.self, forKey: .guidanceRescale) ?? 0
        projectedGuidance = try container.decodeIfPresent(AdaptiveProjectedGuidance.self, forKey: .projectedGuidance) ?? .none
        scheduler = try container.decode(String.self, forKey: .scheduler)
        size = try container.decode(Int.self, forKey: .size)
        batchSize = try container.decode(Int.self, forKey: .batchSize)
    }
}

/// Many (prompt, seed) images at once: image i starts from the noise `spf generate --seed seeds[i]` draws
/// (randn [1, C, h, w] from a CPU generator of that seed) and is denoised with its own text in a batch. With a
/// deterministic sampler (DDIM, eta 0) it is the image `spf generate` makes, up to the batch's kernel rounding.
public enum ImageSetGeneration {
    public static func generate(_ pipeline: StableDiffusionPipeline, prompts: [String], seeds: [UInt64],
                                settings: SamplingSettings, progress: ((Int) -> Void)? = nil) throws -> Tensor {
        guard prompts.count == seeds.count, !prompts.isEmpty else {
            throw EvaluationError("one seed per prompt is needed (\(prompts.count) prompts, \(seeds.count) seeds)")
        }
        let factor = pipeline.vaeScaleFactor
        let shape = [1, pipeline.unet.config.inChannels, settings.size / factor, settings.size / factor]
        var images: [Tensor] = []
        try Tensor.withNoGrad {
            let unconditional = try pipeline.encodePrompt("")
            for start in stride(from: 0, to: prompts.count, by: settings.batchSize) {
                let end = min(start + settings.batchSize, prompts.count)
                let noise = try Tensor.cat((start..<end).map { try Tensor.randn(shape, generator: Generator(seed: seeds[$0])) })
                let conditioning = try Tensor.cat((start..<end).map { try pipeline.encodePrompt(prompts[$0]) })
                let scheduler = try makeScheduler(name: settings.scheduler, config: pipeline.schedulerConfig)
                let loop = DenoisingLoop(unet: pipeline.unet, scheduler: scheduler, guidanceScale: settings.guidanceScale,
                                         guidanceRescale: settings.guidanceRescale,
                                         projectedGuidance: settings.projectedGuidance, dtype: pipeline.dtype,
                                         device: pipeline.device)
                var latentShape = shape
                latentShape[0] = end - start
                let latents = try loop(conditioning: conditioning,
                                       unconditional: loop.usesGuidance ? unconditional.repeated([end - start, 1, 1]) : nil,
                                       latentShape: latentShape, initialLatents: noise, generator: Generator(seed: 0),
                                       steps: settings.steps)
                images.append(try pipeline.decode(latents).clamp(min: -1, max: 1).to(.float32))
                progress?(end)
            }
        }
        return try Tensor.cat(images)
    }
}
