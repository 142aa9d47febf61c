import Foundation
import Torch

/// The sigma-space view of the training schedule that the Euler and DPM-Solver schedulers share:
/// float32 sigmas ((1 - ᾱ) / ᾱ) ** 0.5 per training timestep and numpy's float32 log of them.
struct SigmaSchedule {
    /// [num_train_timesteps] float32 tensor, as diffusers computes it.
    let trainSigmas: Tensor
    let sigmaValues: [Float]
    let logSigmas: [Float]
    /// ((1 - ᾱ_0) / ᾱ_0) ** 0.5, the "sigma_min" final sigma.
    let sigmaMin: Float

    init(_ schedule: DDPMSchedule) throws {
        trainSigmas = try schedule.config.trainSigmas(schedule.alphasCumprod)
        sigmaValues = try trainSigmas.toArray(Float.self)
        logSigmas = sigmaValues.map(NumPyMirror.logFloat32)
        let first = try schedule.alphasCumprod.select(dim: 0, index: 0)
        sigmaMin = Float(try ((1.0 - first) / first).pow(0.5).item())
    }

    /// np.interp(timesteps, arange(n), sigmas), in float64.
    func interpolate(_ timesteps: [Double]) -> [Double] {
        let xp = sigmaValues.indices.map(Double.init)
        let fp = sigmaValues.map(Double.init)
        return timesteps.map { NumPyMirror.interp($0, xp, fp) }
    }

    /// The final sigma appended after the schedule (diffusers' `final_sigmas_type`).
    func finalSigma(_ type: String, scheduler: String) throws -> Double {
        switch type {
        case "zero": return 0
        case "sigma_min": return Double(sigmaMin)
        default:
            throw SchedulerError.unsupported(key: "final_sigmas_type", value: type, scheduler: scheduler,
                                             supported: ["zero", "sigma_min"])
        }
    }
}

/// The step index bookkeeping of diffusers' sigma schedulers: set from the first timestep seen
/// (the second match when a timestep repeats), then advanced by one per step.
struct StepCounter {
    var index: Int?

    /// diffusers' `index_for_timestep`; `fallbackToLast` is DPM-Solver's behaviour for an unknown timestep.
    static func index(of timestep: Double, in values: [Double], fallbackToLast: Bool, scheduler: String) throws -> Int {
        let matches = values.indices.filter { values[$0] == timestep }
        if matches.isEmpty {
            guard fallbackToLast, !values.isEmpty else {
                throw SchedulerError.invalidTimestep(timestep, scheduler: scheduler)
            }
            return values.count - 1
        }
        return matches.count > 1 ? matches[1] : matches[0]
    }

    mutating func current(for timestep: Double, in values: [Double], fallbackToLast: Bool = false,
                          scheduler: String) throws -> Int {
        if let index { return index }
        let found = try Self.index(of: timestep, in: values, fallbackToLast: fallbackToLast, scheduler: scheduler)
        index = found
        return found
    }

    /// The opening checks of a sigma-based sampler's step: timesteps set, `timestep` found, steps left.
    /// Returns the sigmas and the step index.
    mutating func step(for timestep: Double, sigmas: Tensor?, in values: [Double], fallbackToLast: Bool = false,
                       scheduler: String) throws -> (sigmas: Tensor, index: Int) {
        guard let sigmas else { throw SchedulerError.timestepsNotSet(scheduler: scheduler) }
        let index = try current(for: timestep, in: values, fallbackToLast: fallbackToLast, scheduler: scheduler)
        guard index < values.count else { throw SchedulerError.scheduleFinished(scheduler: scheduler, steps: values.count) }
        return (sigmas, index)
    }
}

extension SchedulerConfig {
    /// Rejects the sigma spacings we do not implement.
    func requireSigmaSupport(_ scheduler: String) throws {
        try requireCommonSupport(scheduler)
        for (key, on) in [("use_exponential_sigmas", useExponentialSigmas), ("use_beta_sigmas", useBetaSigmas),
                          ("use_lu_lambdas", useLuLambdas)] where on {
            throw SchedulerError.unsupported(key: key, value: "true", scheduler: scheduler, supported: ["false"])
        }
    }
}
