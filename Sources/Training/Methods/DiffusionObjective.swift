import Diffusion
import Schedulers
import Torch

/// The denoising objective of diffusers' train_text_to_image.py, draw for draw: latents sampled from the
/// VAE posterior and scaled, Gaussian noise (+ offset noise), uniform integer timesteps, the forward process,
/// the prediction target (epsilon or v), and the MSE in float32, optionally weighted by min-SNR
/// (Hang et al. 2023: min(SNR, gamma) / SNR for epsilon, / (SNR + 1) for v-prediction).
/// SPF-Portrait's stage 1 is exactly this; its stage 2 keeps it as L_diff.
public struct DiffusionObjective {
    public let schedule: DDPMSchedule
    public let scalingFactor: Double
    public var noiseOffset: Double
    public var snrGamma: Double?

    public init(schedule: DDPMSchedule, scalingFactor: Double, noiseOffset: Double = 0, snrGamma: Double? = nil) {
        self.schedule = schedule
        self.scalingFactor = scalingFactor
        self.noiseOffset = noiseOffset
        self.snrGamma = snrGamma
    }

    /// What one step draws: scaled latents, noise and timesteps (exposed so that a method can reuse them,
    /// e.g. to run a second path on the same noisy latents).
    public struct Draw {
        public let latents: Tensor
        public let noise: Tensor
        public let timesteps: Tensor
        public let noisyLatents: Tensor

        public init(latents: Tensor, noise: Tensor, timesteps: Tensor, noisyLatents: Tensor) {
            self.latents = latents
            self.noise = noise
            self.timesteps = timesteps
            self.noisyLatents = noisyLatents
        }
    }

    /// Given latents, noise and timesteps (a reference step's fixed inputs): the forward process only.
    public func draw(latents: Tensor, noise: Tensor, timesteps: Tensor) throws -> Draw {
        Draw(latents: latents, noise: noise, timesteps: timesteps,
             noisyLatents: try schedule.addNoise(original: latents, noise: noise, timesteps: timesteps))
    }

    /// Samples latents from the posterior parameters, then noise and timesteps, in diffusers' order.
    public func draw(latentParameters: Tensor, generator: Generator) throws -> Draw {
        let posterior = try DiagonalGaussianDistribution(latentParameters)
        let latents = try posterior.sample(generator: generator) * scalingFactor
        return try draw(latents: latents, generator: generator)
    }

    /// Noise and timesteps for given latents.
    public func draw(latents: Tensor, generator: Generator) throws -> Draw {
        var noise = try latents.randnLike(generator: generator)
        if noiseOffset > 0 {
            let shape = [latents.shape[0], latents.shape[1], 1, 1]
            noise = try noise + noiseOffset * Tensor.randn(shape, dtype: latents.dtype, device: latents.device,
                                                           generator: generator)
        }
        let timesteps = try Tensor.randint(high: schedule.config.numTrainTimesteps, [latents.shape[0]],
                                           device: latents.device, generator: generator)
        return Draw(latents: latents, noise: noise, timesteps: timesteps,
                    noisyLatents: try schedule.addNoise(original: latents, noise: noise, timesteps: timesteps))
    }

    /// The loss of a prediction for a draw. `elementWeights` (broadcast against the latents, e.g. [B, 1, h, w])
    /// weighs each element's squared error before the mean; without it and without min-SNR the loss is the plain
    /// mean squared error.
    public func loss(prediction: Tensor, draw: Draw, elementWeights: Tensor? = nil) throws -> Tensor {
        let target = try schedule.target(original: draw.latents, noise: draw.noise, timesteps: draw.timesteps)
        if snrGamma == nil && elementWeights == nil {
            return try prediction.to(.float32).mseLoss(target.to(.float32))
        }
        var perElement = try prediction.to(.float32).mseLoss(target.to(.float32), reduction: .none)
        if let elementWeights { perElement = try perElement * elementWeights.to(dtype: .float32, device: perElement.device) }
        guard let snrGamma else { return try perElement.mean() }
        let snr = try schedule.snr(timesteps: draw.timesteps)
        var weights = try Tensor.stack([snr, snr.onesLike() * snrGamma], dim: 1).amin(dims: [1])
        switch schedule.config.predictionType {
        case .epsilon: weights = try weights / snr
        case .vPrediction: weights = try weights / (snr + 1)
        case .sample: break
        }
        let perSample = try perElement.mean(dims: Array(1..<perElement.ndim))
        return try (perSample * weights).mean()
    }
}
