import Torch

/// diffusers' `EulerDiscreteScheduler` (k-diffusion's Euler method, s_churn 0): deterministic,
/// with optional Karras sigmas and a zero or sigma_min final sigma.
public final class EulerDiscreteScheduler: Scheduler {
    public let className = "EulerDiscreteScheduler"
    public let config: SchedulerConfig
    public let schedule: DDPMSchedule
    /// The config's timestep_spacing, or this class's diffusers default ("linspace").
    public let timestepSpacing: TimestepSpacing
    public private(set) var timesteps: Tensor
    public private(set) var timestepValues: [Double] = []
    public private(set) var sigmas: Tensor?
    public private(set) var initNoiseSigma: Double = 1
    private let sigmaSchedule: SigmaSchedule
    private var counter = StepCounter()

    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        try config.requireSigmaSupport("EulerDiscreteScheduler")
        for (key, value, supported) in [("interpolation_type", config.interpolationType, "linear"),
                                        ("timestep_type", config.timestepType, "discrete")] where value != supported {
            throw SchedulerError.unsupported(key: key, value: value, scheduler: "EulerDiscreteScheduler",
                                             supported: [supported])
        }
        self.config = config
        timestepSpacing = config.timestepSpacing ?? .linspace
        schedule = try DDPMSchedule(config: config)
        sigmaSchedule = try SigmaSchedule(schedule)
        _ = try sigmaSchedule.finalSigma(config.finalSigmasType, scheduler: "EulerDiscreteScheduler")
        timesteps = try Tensor.empty([0], dtype: .float32)
    }

    public func setTimesteps(_ count: Int) throws {
        try config.requireStepCount(count)
        var steps = InferenceTimesteps.continuous(config, spacing: timestepSpacing, count: count)
        try config.requireTimestepsInRange(steps.map(Double.init), count: count, spacing: timestepSpacing, scheduler: className)
        var sigmaList = sigmaSchedule.interpolate(steps.map(Double.init))
        if config.useKarrasSigmas {
            sigmaList = NumPyMirror.karrasSigmas(sigmaMin: config.sigmaMin ?? sigmaList[sigmaList.count - 1],
                                                 sigmaMax: config.sigmaMax ?? sigmaList[0], count: count)
            steps = sigmaList.map { Float(NumPyMirror.sigmaToT($0, logSigmas: sigmaSchedule.logSigmas)) }
        }
        sigmaList.append(try sigmaSchedule.finalSigma(config.finalSigmasType, scheduler: className))
        let sigmaTensor = try Tensor(sigmaList.map { Float($0) })
        sigmas = sigmaTensor
        timesteps = try Tensor(steps)
        timestepValues = steps.map(Double.init)
        initNoiseSigma = try eulerInitNoiseSigma(sigmaTensor, spacing: timestepSpacing)
        counter = StepCounter()
    }

    public func reset() { counter = StepCounter() }

    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor {
        try eulerScaleModelInput(sample, timestep: timestep, sigmas: sigmas, timestepValues: timestepValues,
                                 counter: &counter, scheduler: className)
    }

    public func stepOutput(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator?) throws
        -> SchedulerOutput
    {
        let (sigmas, index) = try counter.step(for: timestep, sigmas: sigmas, in: timestepValues, scheduler: className)
        let sample = try sample.to(.float32)
        // s_churn is 0, so gamma is 0 and sigma_hat = sigma * 1 = sigma exactly.
        let sigma = try sigmas.select(dim: 0, index: index)
        let predOriginal = try eulerPredictedOriginal(modelOutput: modelOutput, sample: sample, sigma: sigma,
                                                      predictionType: config.predictionType)
        let derivative = try (sample - predOriginal) / sigma
        let dt = try sigmas.select(dim: 0, index: index + 1) - sigma
        let prev = try (sample + derivative * dt).to(modelOutput.dtype)
        counter.index = index + 1
        return SchedulerOutput(prevSample: prev, predOriginalSample: predOriginal)
    }
}

/// The Euler schedulers' model input: sample / sqrt(sigma^2 + 1) at the current step.
func eulerScaleModelInput(_ sample: Tensor, timestep: Double, sigmas: Tensor?, timestepValues: [Double],
                          counter: inout StepCounter, scheduler: String) throws -> Tensor {
    guard let sigmas else { throw SchedulerError.timestepsNotSet(scheduler: scheduler) }
    let index = try counter.current(for: timestep, in: timestepValues, scheduler: scheduler)
    let sigma = try sigmas.select(dim: 0, index: index)
    return try sample / (sigma.pow(2) + 1).pow(0.5)
}

/// The Euler schedulers' x0 estimate from the model output at `sigma`.
func eulerPredictedOriginal(modelOutput: Tensor, sample: Tensor, sigma: Tensor, predictionType: PredictionType) throws
    -> Tensor
{
    switch predictionType {
    case .sample: return modelOutput
    case .epsilon: return try sample - sigma * modelOutput
    case .vPrediction:
        return try modelOutput * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + sample / (sigma.pow(2) + 1)
    }
}

/// The Euler schedulers' `init_noise_sigma`: max sigma for linspace/trailing spacing, else
/// sqrt(max^2 + 1), in float32 tensor arithmetic as diffusers does.
func eulerInitNoiseSigma(_ sigmas: Tensor, spacing: TimestepSpacing) throws -> Double {
    let maxSigma = try sigmas.amax()
    switch spacing {
    case .linspace, .trailing: return try maxSigma.item()
    case .leading: return try (maxSigma.pow(2) + 1).pow(0.5).item()
    }
}
