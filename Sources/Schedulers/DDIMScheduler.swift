import Torch

/// diffusers' `DDIMScheduler`: deterministic for `eta` 0 (the default); `eta` > 0 adds
/// eta-scaled posterior noise from the step's generator.
public final class DDIMScheduler: Scheduler {
    public let className = "DDIMScheduler"
    public let config: SchedulerConfig
    public let schedule: DDPMSchedule
    /// The config's timestep_spacing, or this class's diffusers default ("leading").
    public let timestepSpacing: TimestepSpacing
    /// Weight of the stochastic part (diffusers' `step(eta:)`); 0 is DDIM, 1 is DDPM-like.
    public var eta: Double
    public private(set) var timesteps: Tensor
    public private(set) var timestepValues: [Double] = []
    public var sigmas: Tensor? { nil }
    public var initNoiseSigma: Double { 1.0 }
    private let finalAlphaCumprod: Tensor
    private var steps: [Int] = []

    public init(config: SchedulerConfig = SchedulerConfig(), eta: Double = 0) throws {
        try config.requireCommonSupport("DDIMScheduler")
        guard eta >= 0 else { throw SchedulerError.invalidInput("DDIMScheduler: eta must be >= 0, got \(eta)") }
        self.config = config
        timestepSpacing = config.timestepSpacing ?? .leading
        self.eta = eta
        schedule = try DDPMSchedule(config: config)
        // The "previous" alpha product past t = 0: 1, or alphas_cumprod[0] as SD 1.5 uses.
        finalAlphaCumprod = config.setAlphaToOne ? try Tensor.scalar(1.0)
            : try schedule.alphasCumprod.select(dim: 0, index: 0)
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

    public func stepOutput(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator?) throws
        -> SchedulerOutput
    {
        guard !steps.isEmpty else { throw SchedulerError.timestepsNotSet(scheduler: className) }
        let t = Int(timestep)
        guard Double(t) == timestep, t >= 0, t < config.numTrainTimesteps else {
            throw SchedulerError.invalidTimestep(timestep, scheduler: className)
        }
        let prevT = t - config.numTrainTimesteps / steps.count
        let alphaProdT = try schedule.alphasCumprod.select(dim: 0, index: t)
        let alphaProdTPrev = prevT >= 0 ? try schedule.alphasCumprod.select(dim: 0, index: prevT) : finalAlphaCumprod
        let betaProdT = try 1.0 - alphaProdT

        var predOriginal: Tensor
        let predEpsilon: Tensor
        switch config.predictionType {
        case .epsilon:
            predOriginal = try (sample - betaProdT.pow(0.5) * modelOutput) / alphaProdT.pow(0.5)
            predEpsilon = modelOutput
        case .sample:
            predOriginal = modelOutput
            predEpsilon = try (sample - alphaProdT.pow(0.5) * predOriginal) / betaProdT.pow(0.5)
        case .vPrediction:
            predOriginal = try alphaProdT.pow(0.5) * sample - betaProdT.pow(0.5) * modelOutput
            predEpsilon = try alphaProdT.pow(0.5) * modelOutput + betaProdT.pow(0.5) * sample
        }
        if config.clipSample {
            predOriginal = try predOriginal.clamp(min: -config.clipSampleRange, max: config.clipSampleRange)
        }
        let betaProdTPrev = try 1.0 - alphaProdTPrev
        let variance = try (betaProdTPrev / betaProdT) * (1.0 - alphaProdT / alphaProdTPrev)
        let stdDevT = try eta * variance.pow(0.5)
        let direction = try ((1.0 - alphaProdTPrev) - stdDevT.pow(2)).pow(0.5) * predEpsilon
        var prev = try alphaProdTPrev.pow(0.5) * predOriginal + direction
        if eta > 0 {
            let noise = try randnLike(modelOutput, generator: generator)
            prev = try prev + stdDevT * noise
        }
        return SchedulerOutput(prevSample: prev, predOriginalSample: predOriginal)
    }
}
