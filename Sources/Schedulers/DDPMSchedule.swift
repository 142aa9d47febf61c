import Foundation
import Torch

/// The training-side noise schedule: betas, alphas and their cumulative product, computed exactly as
/// diffusers' schedulers do (float32 tensors; scaled_linear is a float32 linspace of square roots, squared),
/// and the forward-process helpers a training loop needs.
public struct DDPMSchedule {
    public let config: SchedulerConfig
    /// [num_train_timesteps] float32.
    public let betas: Tensor
    public let alphas: Tensor
    public let alphasCumprod: Tensor

    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        if config.rescaleBetasZeroSnr {
            throw SchedulerError.unsupported(key: "rescale_betas_zero_snr", value: "true", scheduler: "DDPMSchedule",
                                             supported: ["false"])
        }
        self.config = config
        betas = try Self.makeBetas(config)
        alphas = try 1.0 - betas
        alphasCumprod = try alphas.cumprod(dim: 0)
    }

    static func makeBetas(_ config: SchedulerConfig) throws -> Tensor {
        let n = config.numTrainTimesteps
        if let trained = config.trainedBetas {
            return try Tensor(trained.map { Float($0) })
        }
        switch config.betaSchedule {
        case .linear:
            return try Tensor.linspace(config.betaStart, config.betaEnd, steps: n, dtype: .float32)
        case .scaledLinear:
            return try Tensor.linspace(Foundation.pow(config.betaStart, 0.5), Foundation.pow(config.betaEnd, 0.5),
                                       steps: n, dtype: .float32).pow(2)
        case .squaredcosCapV2:
            return try Tensor(betasForAlphaBar(n).map { Float($0) })
        }
    }

    /// diffusers' `betas_for_alpha_bar` with the cosine transform (Nichol & Dhariwal), in Python floats.
    static func betasForAlphaBar(_ count: Int, maxBeta: Double = 0.999) -> [Double] {
        func alphaBar(_ t: Double) -> Double {
            let c = Foundation.cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<count).map { i in
            let t1 = Double(i) / Double(count)
            let t2 = Double(i + 1) / Double(count)
            return min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
        }
    }

    /// Checks an int64 tensor of training timesteps (one per batch element).
    func validate(_ timesteps: Tensor, batch: Int) throws {
        guard timesteps.dtype == .int64 || timesteps.dtype == .int32 else {
            throw SchedulerError.invalidInput("timesteps must be an integer tensor, got \(timesteps.dtype)")
        }
        guard timesteps.numel == batch else {
            throw SchedulerError.invalidInput("\(timesteps.numel) timesteps for a batch of \(batch)")
        }
        if timesteps.numel > 0 {
            let low = try timesteps.amin().itemInt(), high = try timesteps.amax().itemInt()
            guard low >= 0, high < config.numTrainTimesteps else {
                throw SchedulerError.invalidInput(
                    "timesteps must lie in 0..<\(config.numTrainTimesteps), got \(low)...\(high)")
            }
        }
    }

    /// alphas_cumprod[timesteps] ** 0.5 and (1 - alphas_cumprod[timesteps]) ** 0.5, shaped to broadcast
    /// against `like` (diffusers' flatten + unsqueeze(-1) loop).
    func coefficients(_ timesteps: Tensor, like sample: Tensor) throws -> (Tensor, Tensor) {
        try validate(timesteps, batch: sample.ndim == 0 ? 1 : sample.shape[0])
        let cumprod = try alphasCumprod.to(dtype: sample.dtype, device: sample.device)
        let index = try timesteps.to(sample.device)
        let selected = try cumprod.index([index])
        var sqrtAlpha = try selected.pow(0.5).flatten()
        var sqrtOneMinusAlpha = try (1.0 - selected).pow(0.5).flatten()
        while sqrtAlpha.ndim < sample.ndim { sqrtAlpha = try sqrtAlpha.unsqueeze(dim: -1) }
        while sqrtOneMinusAlpha.ndim < sample.ndim { sqrtOneMinusAlpha = try sqrtOneMinusAlpha.unsqueeze(dim: -1) }
        return (sqrtAlpha, sqrtOneMinusAlpha)
    }

    /// The forward process q(x_t | x_0): sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε (diffusers' `add_noise`).
    public func addNoise(original: Tensor, noise: Tensor, timesteps: Tensor) throws -> Tensor {
        let (a, s) = try coefficients(timesteps, like: original)
        return try a * original + s * noise
    }

    /// The v-prediction target sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x_0 (diffusers' `get_velocity`).
    public func velocity(sample: Tensor, noise: Tensor, timesteps: Tensor) throws -> Tensor {
        let (a, s) = try coefficients(timesteps, like: sample)
        return try a * noise - s * sample
    }

    /// What the model is trained to output for `predictionType` (the config's by default).
    public func target(for predictionType: PredictionType? = nil, original: Tensor, noise: Tensor,
                       timesteps: Tensor) throws -> Tensor {
        switch predictionType ?? config.predictionType {
        case .epsilon: noise
        case .vPrediction: try velocity(sample: original, noise: noise, timesteps: timesteps)
        case .sample: original
        }
    }

    /// Signal-to-noise ratio ᾱ_t / (1 - ᾱ_t) per timestep, float32, shaped like `timesteps`
    /// (diffusers' `training_utils.compute_snr`, used for min-SNR loss weighting).
    public func snr(timesteps: Tensor) throws -> Tensor {
        try validate(timesteps, batch: timesteps.numel)
        let index = try timesteps.to(alphasCumprod.device)
        let alpha = try alphasCumprod.pow(0.5).index([index]).to(.float32).expand(timesteps.shape)
        let sigma = try (1.0 - alphasCumprod).pow(0.5).index([index]).to(.float32).expand(timesteps.shape)
        return try (alpha / sigma).pow(2)
    }
}
