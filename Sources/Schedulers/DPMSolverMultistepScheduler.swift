import Torch

/// diffusers' `DPMSolverMultistepScheduler` with algorithm_type "dpmsolver++" (DPM-Solver++ 2M for
/// solver_order 2): a multistep solver on data predictions that keeps the last model outputs between
/// steps. Karras sigmas, lower_order_final and the zero / sigma_min final sigma are supported.
public final class DPMSolverMultistepScheduler: Scheduler {
    public let className = "DPMSolverMultistepScheduler"
    public let config: SchedulerConfig
    public let schedule: DDPMSchedule
    /// The config's timestep_spacing, or this class's diffusers default ("linspace").
    public let timestepSpacing: TimestepSpacing
    public private(set) var timesteps: Tensor
    public private(set) var timestepValues: [Double] = []
    public private(set) var sigmas: Tensor?
    public var initNoiseSigma: Double { 1.0 }
    let sigmaSchedule: SigmaSchedule
    /// log(alpha_t) - log(sigma_t) per training timestep (float32), for lambda_min_clipped.
    private let lambdas: [Float]
    private var counter = StepCounter()
    /// The last `solver_order` data predictions, oldest first.
    private var modelOutputs: [Tensor?]
    private var lowerOrderNums = 0

    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        let name = "DPMSolverMultistepScheduler"
        try config.requireSigmaSupport(name)
        // diffusers maps the deprecated "deis" to dpmsolver++.
        guard ["dpmsolver++", "deis"].contains(config.algorithmType) else {
            throw SchedulerError.unsupported(key: "algorithm_type", value: config.algorithmType, scheduler: name,
                                             supported: ["dpmsolver++"])
        }
        guard (1...2).contains(config.solverOrder) else {
            throw SchedulerError.unsupported(key: "solver_order", value: String(config.solverOrder), scheduler: name,
                                             supported: ["1", "2"])
        }
        guard ["midpoint", "heun"].contains(config.solverType) else {
            throw SchedulerError.unsupported(key: "solver_type", value: config.solverType, scheduler: name,
                                             supported: ["midpoint", "heun"])
        }
        if let variance = config.varianceType, ["learned", "learned_range"].contains(variance) {
            throw SchedulerError.unsupported(key: "variance_type", value: variance, scheduler: name, supported: ["null"])
        }
        self.config = config
        timestepSpacing = config.timestepSpacing ?? .linspace
        schedule = try DDPMSchedule(config: config)
        sigmaSchedule = try SigmaSchedule(schedule)
        _ = try sigmaSchedule.finalSigma(config.finalSigmasType, scheduler: name)
        let alphaT = try schedule.alphasCumprod.sqrt()
        let sigmaT = try (1.0 - schedule.alphasCumprod).sqrt()
        lambdas = try (alphaT.log() - sigmaT.log()).toArray(Float.self)
        modelOutputs = Array(repeating: nil, count: config.solverOrder)
        timesteps = try Tensor.empty([0], dtype: .int64)
    }

    public func setTimesteps(_ count: Int) throws {
        try config.requireStepCount(count)
        // torch.searchsorted(flip(lambda_t), lambda_min_clipped): how many lambdas lie below the clip.
        let clipped = config.lambdaMinClipped.map { clip in lambdas.filter { Double($0) < clip }.count } ?? 0
        let lastTimestep = config.numTrainTimesteps - clipped
        var steps = InferenceTimesteps.multistep(config, spacing: timestepSpacing, count: count,
                                                   lastTimestep: lastTimestep)
        try config.requireTimestepsInRange(steps.map(Double.init), count: count, spacing: timestepSpacing, scheduler: className)
        var sigmaList: [Double]
        if config.useKarrasSigmas {
            let values = sigmaSchedule.sigmaValues
            sigmaList = NumPyMirror.karrasSigmas(sigmaMin: Double(values[0]), sigmaMax: Double(values[values.count - 1]),
                                                 count: count)
            steps = sigmaList.map { sigma in
                let t = NumPyMirror.sigmaToT(sigma, logSigmas: sigmaSchedule.logSigmas)
                // Rounded except for squaredcos_cap_v2; the int64 cast then truncates.
                return Int(config.betaSchedule == .squaredcosCapV2 ? t : NumPyMirror.round(t))
            }
        } else {
            sigmaList = sigmaSchedule.interpolate(steps.map(Double.init))
        }
        sigmaList.append(try sigmaSchedule.finalSigma(config.finalSigmasType, scheduler: className))
        sigmas = try Tensor(sigmaList.map { Float($0) })
        timesteps = try Tensor(steps.map(Int64.init))
        timestepValues = steps.map(Double.init)
        reset()
    }

    public func reset() {
        counter = StepCounter()
        modelOutputs = Array(repeating: nil, count: config.solverOrder)
        lowerOrderNums = 0
    }

    public func scaleModelInput(_ sample: Tensor, timestep: Double) throws -> Tensor { sample }

    /// (alpha_t, sigma_t) of the VP process at `sigma`: 1 / sqrt(sigma^2 + 1) and sigma * alpha_t.
    private func alphaSigma(_ sigma: Tensor) throws -> (Tensor, Tensor) {
        let alpha = try 1.0 / (sigma.pow(2) + 1).pow(0.5)
        return (alpha, try sigma * alpha)
    }

    private func lambda(_ alpha: Tensor, _ sigma: Tensor) throws -> Tensor { try alpha.log() - sigma.log() }

    /// The data prediction x0 that DPM-Solver++ steps with (diffusers' `convert_model_output`).
    private func dataPrediction(_ modelOutput: Tensor, sample: Tensor, sigma: Tensor) throws -> Tensor {
        switch config.predictionType {
        case .sample: return modelOutput
        case .epsilon:
            let (alpha, sigmaT) = try alphaSigma(sigma)
            return try (sample - sigmaT * modelOutput) / alpha
        case .vPrediction:
            let (alpha, sigmaT) = try alphaSigma(sigma)
            return try alpha * sample - sigmaT * modelOutput
        }
    }

    private func firstOrderUpdate(_ x0: Tensor, sample: Tensor, sigmas: Tensor, index: Int) throws -> Tensor {
        let (alphaT, sigmaT) = try alphaSigma(sigmas.select(dim: 0, index: index + 1))
        let (alphaS, sigmaS) = try alphaSigma(sigmas.select(dim: 0, index: index))
        let h = try lambda(alphaT, sigmaT) - lambda(alphaS, sigmaS)
        return try (sigmaT / sigmaS) * sample - (alphaT * (h.neg().exp() - 1.0)) * x0
    }

    private func secondOrderUpdate(sample: Tensor, sigmas: Tensor, index: Int) throws -> Tensor {
        guard let m0 = modelOutputs[modelOutputs.count - 1], let m1 = modelOutputs[modelOutputs.count - 2] else {
            throw SchedulerError.invalidInput("\(className): second-order update without two model outputs")
        }
        let (alphaT, sigmaT) = try alphaSigma(sigmas.select(dim: 0, index: index + 1))
        let (alphaS0, sigmaS0) = try alphaSigma(sigmas.select(dim: 0, index: index))
        let (alphaS1, sigmaS1) = try alphaSigma(sigmas.select(dim: 0, index: index - 1))
        let lambdaT = try lambda(alphaT, sigmaT)
        let lambdaS0 = try lambda(alphaS0, sigmaS0)
        let lambdaS1 = try lambda(alphaS1, sigmaS1)
        let h = try lambdaT - lambdaS0
        let h0 = try lambdaS0 - lambdaS1
        let r0 = try h0 / h
        let d0 = m0
        let d1 = try (1.0 / r0) * (m0 - m1)
        let expMinusH = try h.neg().exp() - 1.0
        if config.solverType == "heun" {
            return try (sigmaT / sigmaS0) * sample - (alphaT * expMinusH) * d0
                + (alphaT * (expMinusH / h + 1.0)) * d1
        }
        return try (sigmaT / sigmaS0) * sample - (alphaT * expMinusH) * d0 - 0.5 * (alphaT * expMinusH) * d1
    }

    public func stepOutput(modelOutput: Tensor, timestep: Double, sample: Tensor, generator: Generator?) throws
        -> SchedulerOutput
    {
        let (sigmas, index) = try counter.step(for: timestep, sigmas: sigmas, in: timestepValues, fallbackToLast: true,
                                               scheduler: className)
        let count = timestepValues.count
        let lowerOrderFinal = index == count - 1
            && (config.eulerAtFinal || (config.lowerOrderFinal && count < 15) || config.finalSigmasType == "zero")

        let x0 = try dataPrediction(modelOutput, sample: sample, sigma: sigmas.select(dim: 0, index: index))
        modelOutputs.removeFirst()
        modelOutputs.append(x0)
        let sample = try sample.to(.float32)
        let prev: Tensor
        if config.solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinal {
            prev = try firstOrderUpdate(x0, sample: sample, sigmas: sigmas, index: index)
        } else {
            // diffusers' lower_order_second only matters for solver_order 3; with 2 the rest is second order.
            prev = try secondOrderUpdate(sample: sample, sigmas: sigmas, index: index)
        }
        if lowerOrderNums < config.solverOrder { lowerOrderNums += 1 }
        counter.index = index + 1
        // diffusers' DPM-Solver step returns no x0 estimate.
        return SchedulerOutput(prevSample: try prev.to(modelOutput.dtype), predOriginalSample: nil)
    }
}
