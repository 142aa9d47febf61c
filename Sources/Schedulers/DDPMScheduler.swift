import Torch

/// diffusers' `DDPMScheduler` sampling: ancestral steps of the original DDPM posterior, with fresh noise
/// from `generator` at every step but the last. Variance types: fixed_small (default), fixed_small_log,
/// fixed_large.
public final class DDPMScheduler: Scheduler {
    public let className = "DDPMScheduler"
    public let config: SchedulerConfig
    public let schedule: DDPMSchedule
    /// The config's timestep_spacing, or this class's diffusers default ("leading").
    public let timestepSpacing: TimestepSpacing
    public let varianceType: String
    public private(set) var timesteps: Tensor
    public private(set) var timestepValues: [Double] = []
    public var sigmas: Tensor? { nil }
    public var initNoiseSigma: Double { 1.0 }
    private let one: Tensor
    private var steps: [Int] = []

    static let varianceTypes = ["fixed_small", "fixed_small_log", "fixed_large"]

    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        try config.requireCommonSupport("DDPMScheduler")
        varianceType = config.varianceType ?? "fixed_small"
        guard Self.varianceTypes.contains(varianceType) else {
            throw SchedulerError.unsupported(key: "variance_type", value: varianceType, scheduler: "DDPMScheduler",
                                             supported: Self.varianceTypes)
        }
        self.config = config
        timestepSpacing = config.timestepSpacing ?? .leading
        schedule = try DDPMSchedule(config: config)
        one = try Tensor.scalar(1.0)
        timesteps = try Tensor.empty([0], dtype: .int64)
    }

    public func setTimesteps(_ count: Int) throws {
        try config.requireStepCount(count)
        let steps = InferenceTimesteps.discrete(config, spacing: timestepSpacing, count: count)
        try config.requireTimestepsInRange(steps.map(Double.init), count: count, spacing: timestepSpacing, scheduler: className)
        self.steps = steps
        timesteps = try Tensor(steps.map(Int64.init))
        timestepValues = steps.map(Double.init)
    }

    public func reset() {}

    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor { sample }

    /// The next timestep of the schedule after `t`, -1 after the last.
    private func previousTimestep(_ t: Int) throws -> Int {
        guard let index = steps.firstIndex(of: t) else { throw SchedulerError.invalidTimestep(Double(t), scheduler: className) }
        return index == steps.count - 1 ? -1 : steps[index + 1]
    }

    private func alphaProduct(_ t: Int) throws -> Tensor {
        t >= 0 ? try schedule.alphasCumprod.select(dim: 0, index: t) : one
    }

    /// diffusers' `_get_variance` for the fixed variance types.
    private func variance(_ t: Int) throws -> Tensor {
        let alphaProdT = try alphaProduct(t)
        let alphaProdTPrev = try alphaProduct(try previousTimestep(t))
        let currentBetaT = try 1.0 - alphaProdT / alphaProdTPrev
        var variance = try (1.0 - alphaProdTPrev) / (1.0 - alphaProdT) * currentBetaT
        variance = try variance.clamp(min: 1e-20)
        switch varianceType {
        case "fixed_small_log": return try (0.5 * variance.log()).exp()
        case "fixed_large": return currentBetaT
        default: return variance
        }
    }

    public func stepOutput(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator?) throws
        -> SchedulerOutput
    {
        guard !steps.isEmpty else { throw SchedulerError.timestepsNotSet(scheduler: className) }
        let t = Int(timestep)
        guard Double(t) == timestep, steps.contains(t) else {
            throw SchedulerError.invalidTimestep(timestep, scheduler: className)
        }
        let prevT = try previousTimestep(t)
        let alphaProdT = try alphaProduct(t)
        let alphaProdTPrev = try alphaProduct(prevT)
        let betaProdT = try 1.0 - alphaProdT
        let betaProdTPrev = try 1.0 - alphaProdTPrev
        let currentAlphaT = try alphaProdT / alphaProdTPrev
        let currentBetaT = try 1.0 - currentAlphaT

        var predOriginal: Tensor
        switch config.predictionType {
        case .epsilon: predOriginal = try (sample - betaProdT.pow(0.5) * modelOutput) / alphaProdT.pow(0.5)
        case .sample: predOriginal = modelOutput
        case .vPrediction: predOriginal = try alphaProdT.pow(0.5) * sample - betaProdT.pow(0.5) * modelOutput
        }
        if config.clipSample {
            predOriginal = try predOriginal.clamp(min: -config.clipSampleRange, max: config.clipSampleRange)
        }
        let predOriginalCoeff = try alphaProdTPrev.pow(0.5) * currentBetaT / betaProdT
        let currentSampleCoeff = try currentAlphaT.pow(0.5) * betaProdTPrev / betaProdT
        var prev = try predOriginalCoeff * predOriginal + currentSampleCoeff * sample
        if t > 0 {
            let noise = try randnLike(modelOutput, generator: generator)
            let deviation = varianceType == "fixed_small_log" ? try variance(t) : try variance(t).pow(0.5)
            prev = try prev + deviation * noise
        }
        return SchedulerOutput(prevSample: prev, predOriginalSample: predOriginal)
    }
}
