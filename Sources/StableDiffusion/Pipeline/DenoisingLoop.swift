import Diffusion
import Schedulers
import Torch

/// The sampling loop of text-to-image generation, in diffusers' StableDiffusionPipeline order: set the
/// timesteps, draw (or take) the initial latents and scale them by the scheduler's init_noise_sigma, then per
/// timestep run the UNet on [uncond, cond] (one pass on cond alone without guidance), combine
/// uncond + guidance * (cond - uncond) (or its adaptive projected form, `projectedGuidance`; optionally rescaled,
/// `guidanceRescale`), and step the scheduler. One
/// implementation shared by generation (`StableDiffusionPipeline.generate`), `spf bench unet --task sample`, and
/// training-time validation images and evaluation. Returns the final latents (decode them with the VAE).
public struct DenoisingLoop {
    public let unet: UNet2DConditionModel
    public let scheduler: any Scheduler
    /// Classifier-free guidance weight; <= 1 disables guidance (one UNet pass per step), as diffusers does.
    public var guidanceScale: Double
    /// diffusers' `guidance_rescale` (Lin et al. 2023, sec. 3.4): 0 (the default) is plain guidance; phi in (0, 1]
    /// mixes in the guided prediction rescaled to the text-conditioned prediction's standard deviation per image,
    /// which counters the over-saturation high guidance scales cause.
    public var guidanceRescale: Double
    /// Adaptive projected guidance (`AdaptiveProjectedGuidance`); `.none` is plain classifier-free guidance.
    public var projectedGuidance: AdaptiveProjectedGuidance
    /// The latents' dtype and device (the UNet's).
    public var dtype: DType
    public var device: Device

    public init(unet: UNet2DConditionModel, scheduler: any Scheduler, guidanceScale: Double, guidanceRescale: Double = 0,
                projectedGuidance: AdaptiveProjectedGuidance = .none, dtype: DType = .float32, device: Device = .cpu) {
        self.unet = unet
        self.scheduler = scheduler
        self.guidanceScale = guidanceScale
        self.guidanceRescale = guidanceRescale
        self.projectedGuidance = projectedGuidance
        self.dtype = dtype
        self.device = device
    }

    public var usesGuidance: Bool { guidanceScale > 1 }

    /// Runs `steps` denoising steps and returns the latents.
    /// - conditioning: text embeddings [B, S, D]; `unconditional` the same shape (the negative prompt's), needed
    ///   only with guidance.
    /// - initialLatents: [B, C, h, w] standard normal noise before init_noise_sigma scaling (diffusers'
    ///   `latents=`); nil draws `latentShape` from `generator` on the CPU (diffusers' randn_tensor with a CPU
    ///   generator) and moves it to `device`.
    /// - generator: draws the initial latents (when not given) and then a stochastic sampler's noise.
    /// - progress: (step, total) after each step.
    public func callAsFunction(conditioning: Tensor, unconditional: Tensor?, latentShape: [Int],
                               initialLatents: Tensor? = nil, generator: Generator, steps: Int,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        if let initialLatents, initialLatents.shape != latentShape {
            throw PipelineError("initial latents have shape \(initialLatents.shape), expected \(latentShape)")
        }
        guard conditioning.ndim == 3, conditioning.shape[0] == latentShape.first else {
            throw PipelineError("conditioning must be [\(latentShape.first ?? 0), S, D], got \(conditioning.shape)")
        }
        return try Tensor.withNoGrad {
            let embeddings: Tensor
            if usesGuidance {
                guard let unconditional, unconditional.shape == conditioning.shape else {
                    throw PipelineError("guidance needs unconditional embeddings of shape \(conditioning.shape), got "
                        + (unconditional.map { "\($0.shape)" } ?? "none"))
                }
                // diffusers: torch.cat([negative_prompt_embeds, prompt_embeds]).
                embeddings = try Tensor.cat([unconditional, conditioning])
            } else {
                embeddings = conditioning
            }
            // diffusers sets the timesteps before preparing latents: the Euler samplers' init_noise_sigma
            // depends on them.
            try scheduler.setTimesteps(steps)
            var latents = try initialLatents.map { try $0.to(dtype: dtype, device: device) }
                ?? Tensor.randn(latentShape, dtype: dtype, device: .cpu, generator: generator).to(device)
            latents = try latents * scheduler.initNoiseSigma
            let total = scheduler.timestepValues.count
            var projected = projectedGuidance.isPlainGuidance
                ? nil : AdaptiveProjectedGuidance.Run(projectedGuidance, scale: guidanceScale)
            for (index, t) in scheduler.timestepValues.enumerated() {
                let input = usesGuidance ? try Tensor.cat([latents, latents]) : latents
                let scaled = try scheduler.scaleModelInput(input, timestep: t)
                let timestep = try scheduler.timesteps.select(dim: 0, index: index)
                var noise = try unet(sample: scaled, timestep: timestep, encoderHiddenStates: embeddings).sample
                if usesGuidance {
                    let parts = try noise.chunk(2)
                    if let guided = try projected?.guide(unconditional: parts[0], conditional: parts[1]) {
                        noise = guided
                    } else {
                        noise = try parts[0] + (parts[1] - parts[0]) * guidanceScale
                    }
                    if guidanceRescale > 0 {
                        noise = try Self.rescaleGuided(noise, text: parts[1], guidanceRescale: guidanceRescale)
                    }
                }
                latents = try scheduler.step(modelOutput: noise, timestep: t, sample: latents, generator: generator)
                progress?(index + 1, total)
            }
            return latents
        }
    }

    /// diffusers' `rescale_noise_cfg`: phi * guided * (std(text) / std(guided)) + (1 - phi) * guided, the standard
    /// deviations (unbiased, as torch's default) over every dimension but the batch.
    public static func rescaleGuided(_ guided: Tensor, text: Tensor, guidanceRescale: Double) throws -> Tensor {
        let dims = Array(1..<guided.ndim)
        let stdText = try text.std(dims: dims, keepDim: true)
        let stdGuided = try guided.std(dims: dims, keepDim: true)
        let rescaled = try guided * (stdText / stdGuided)
        return try rescaled * guidanceRescale + guided * (1 - guidanceRescale)
    }
}
