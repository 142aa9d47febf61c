import Torch

/// diffusers' `EulerAncestralDiscreteScheduler`: an Euler step down to sigma_down plus fresh noise of
/// sigma_up from the step's generator, at every step.
public final class EulerAncestralDiscreteScheduler: Scheduler {
    public let className = "EulerAncestralDiscreteScheduler"
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
        try config.requireCommonSupport("EulerAncestralDiscreteScheduler")
        guard config.predictionType != .sample else {
            throw SchedulerError.unsupported(key: "prediction_type", value: "sample",
                                             scheduler: "EulerAncestralDiscreteScheduler",
                                             supported: ["epsilon", "v_prediction"])
        }
        self.config = config
        timestepSpacing = config.timestepSpacing ?? .linspace
        schedule = try DDPMSchedule(config: config)
        sigmaSchedule = try SigmaSchedule(schedule)
        timesteps = try Tensor.empty([0], dtype: .float32)
    }

    public func setTimesteps(_ count: Int) throws {
        try config.requireStepCount(count)
        let steps = InferenceTimesteps.continuous(config, spacing: timestepSpacing, count: count)
        try config.requireTimestepsInRange(steps.map(Double.init), count: count, spacing: timestepSpacing, scheduler: className)
        let sigmaList = sigmaSchedule.interpolate(steps.map(Double.init)) + [0]
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
        let sigma = try sigmas.select(dim: 0, index: index)
        let sample = try sample.to(.float32)
        // init rejects prediction_type "sample", so this is epsilon or v.
        let predOriginal = try eulerPredictedOriginal(modelOutput: modelOutput, sample: sample, sigma: sigma,
                                                      predictionType: config.predictionType)
        let sigmaFrom = sigma
        let sigmaTo = try sigmas.select(dim: 0, index: index + 1)
        let sigmaUp = try (sigmaTo.pow(2) * (sigmaFrom.pow(2) - sigmaTo.pow(2)) / sigmaFrom.pow(2)).pow(0.5)
        let sigmaDown = try (sigmaTo.pow(2) - sigmaUp.pow(2)).pow(0.5)
        let derivative = try (sample - predOriginal) / sigma
        let dt = try sigmaDown - sigma
        var prev = try sample + derivative * dt
        let noise = try randnLike(modelOutput, generator: generator)
        prev = try (prev + noise * sigmaUp).to(modelOutput.dtype)
        counter.index = index + 1
        return SchedulerOutput(prevSample: prev, predOriginalSample: predOriginal)
    }
}
