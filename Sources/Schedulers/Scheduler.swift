import Torch

/// One sampler step's result: x_{t-1}, and the x_0 estimate where diffusers exposes one.
public struct SchedulerOutput {
    public let prevSample: Tensor
    public let predOriginalSample: Tensor?
}

/// A sampler over a trained noise schedule, in diffusers' calling convention:
/// `setTimesteps(n)`, then for each `t` in `timestepValues`: `scaleModelInput`, run the model, `step`.
/// Initial latents are standard normal noise times `initNoiseSigma`.
public protocol Scheduler: AnyObject {
    /// The diffusers class this scheduler mirrors ("DDIMScheduler", ...).
    var className: String { get }
    var config: SchedulerConfig { get }
    /// The training-side schedule (betas, alphas_cumprod).
    var schedule: DDPMSchedule { get }
    /// The inference timesteps as diffusers holds them (int64, or float32 for the Euler schedulers);
    /// empty before `setTimesteps`.
    var timesteps: Tensor { get }
    /// `timesteps` as numbers, for loops and for `step(timestep:)`.
    var timestepValues: [Double] { get }
    /// float32 sigmas with the final one appended (Euler, DPM-Solver); nil for DDPM/DDIM.
    var sigmas: Tensor? { get }
    /// What standard normal initial latents are multiplied by.
    var initNoiseSigma: Double { get }
    /// Sets `count` inference steps and clears all stepping state.
    func setTimesteps(_ count: Int) throws
    /// The model input for `timestep` (divided by sqrt(sigma^2 + 1) for the Euler schedulers).
    func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor
    /// One denoising step from `timestep`. `generator` feeds the stochastic samplers' noise, drawn
    /// exactly as diffusers' `randn_tensor` draws it.
    func stepOutput(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator?) throws
        -> SchedulerOutput
    /// Clears stepping state (step index, solver history) and keeps the timesteps.
    func reset()
}

extension Scheduler {
    /// One denoising step; returns x_{t-1}.
    public func step(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator? = nil) throws
        -> Tensor
    {
        try stepOutput(modelOutput: modelOutput, timestep: timestep, sample: sample, generator: generator).prevSample
    }
}

/// Standard normal noise shaped like `like`, drawn as diffusers' `randn_tensor` does: on the generator's
/// device (a CPU generator for CUDA latents draws on the CPU and moves the result).
func randnLike(_ like: Tensor, generator: Generator?) throws -> Tensor {
    let device = generator?.device ?? like.device
    let noise = try Tensor.randn(like.shape, dtype: like.dtype, device: device, generator: generator)
    return device == like.device ? noise : try noise.to(like.device)
}

extension SchedulerConfig {
    /// Rejects options that none of our schedulers implement, naming the key.
    func requireCommonSupport(_ scheduler: String) throws {
        if thresholding {
            throw SchedulerError.unsupported(key: "thresholding", value: "true", scheduler: scheduler,
                                             supported: ["false"])
        }
        if rescaleBetasZeroSnr {
            throw SchedulerError.unsupported(key: "rescale_betas_zero_snr", value: "true", scheduler: scheduler,
                                             supported: ["false"])
        }
    }

    func requireStepCount(_ count: Int) throws {
        guard count >= 1, count <= numTrainTimesteps else {
            throw SchedulerError.invalidStepCount(count, trainTimesteps: numTrainTimesteps)
        }
    }

    /// The inference timesteps must be training timesteps: with timestep_spacing "leading" and steps_offset 1,
    /// `num_train_timesteps` steps would reach timestep `num_train_timesteps` (diffusers fails there with an
    /// IndexError). Checked when the timesteps are set, with what to change.
    func requireTimestepsInRange(_ values: [Double], count: Int, spacing: TimestepSpacing, scheduler: String) throws {
        guard let bad = values.first(where: { !($0 >= 0 && $0 < Double(numTrainTimesteps)) }) else { return }
        throw SchedulerError.invalidInput(
            "\(scheduler): \(count) steps with timestep_spacing '\(spacing.rawValue)' and steps_offset \(stepsOffset) "
                + "reach timestep \(bad.formatted), outside the training timesteps 0...\(numTrainTimesteps - 1); "
                + "use fewer steps (or timestep_spacing 'trailing')")
    }

    /// ((1 - ᾱ) / ᾱ) ** 0.5 over the training timesteps, as the float32 tensor diffusers computes.
    func trainSigmas(_ alphasCumprod: Tensor) throws -> Tensor {
        try ((1.0 - alphasCumprod) / alphasCumprod).pow(0.5)
    }
}

private extension Double {
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
