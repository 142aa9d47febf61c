import Foundation
import InputChecks

/// How betas are laid out over the training timesteps (diffusers' `beta_schedule`).
public enum BetaSchedule: String, Codable, Sendable, CaseIterable {
    case linear
    case scaledLinear = "scaled_linear"
    case squaredcosCapV2 = "squaredcos_cap_v2"
}

/// What the model predicts (diffusers' `prediction_type`).
public enum PredictionType: String, Codable, Sendable, CaseIterable {
    case epsilon
    case vPrediction = "v_prediction"
    case sample
}

/// How inference timesteps are picked from the training range (diffusers' `timestep_spacing`).
public enum TimestepSpacing: String, Codable, Sendable, CaseIterable {
    case leading, trailing, linspace
}

/// A diffusers `scheduler/scheduler_config.json`, with the real key names.
///
/// A missing key takes Stable Diffusion 1.5's value (scaled_linear 0.00085...0.012, steps_offset 1, no
/// clipping, set_alpha_to_one false), except `timestep_spacing`: diffusers' `from_config` leaves a key
/// the file did not set to the target class's own default, which is "leading" for DDPM/DDIM and
/// "linspace" for Euler and DPM-Solver, so nil here means "the scheduler's default". Unknown keys are
/// ignored, as diffusers does. Values that no scheduler here implements are rejected when decoding.
/// The sampler-specific keys (karras, solver order, ...) default to diffusers' class defaults.
public struct SchedulerConfig: Codable, Equatable, Sendable {
    public var className: String?
    public var numTrainTimesteps: Int = 1000
    public var betaStart: Double = 0.00085
    public var betaEnd: Double = 0.012
    public var betaSchedule: BetaSchedule = .scaledLinear
    public var trainedBetas: [Double]?
    public var predictionType: PredictionType = .epsilon
    /// nil: the scheduler class's default (see above).
    public var timestepSpacing: TimestepSpacing?
    public var stepsOffset: Int = 1
    public var clipSample: Bool = false
    public var clipSampleRange: Double = 1.0
    public var setAlphaToOne: Bool = false
    public var thresholding: Bool = false
    public var rescaleBetasZeroSnr: Bool = false
    /// DDPM's variance; nil means the class default ("fixed_small").
    public var varianceType: String?
    public var useKarrasSigmas: Bool = false
    public var useExponentialSigmas: Bool = false
    public var useBetaSigmas: Bool = false
    public var useLuLambdas: Bool = false
    public var sigmaMin: Double?
    public var sigmaMax: Double?
    public var interpolationType: String = "linear"
    public var timestepType: String = "discrete"
    public var algorithmType: String = "dpmsolver++"
    public var solverOrder: Int = 2
    public var solverType: String = "midpoint"
    public var lowerOrderFinal: Bool = true
    public var eulerAtFinal: Bool = false
    public var finalSigmasType: String = "zero"
    /// nil stands for diffusers' default of -inf (no clipping).
    public var lambdaMinClipped: Double?

    /// Stable Diffusion 1.5's values.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case setAlphaToOne = "set_alpha_to_one"
        case thresholding
        case rescaleBetasZeroSnr = "rescale_betas_zero_snr"
        case varianceType = "variance_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case useLuLambdas = "use_lu_lambdas"
        case sigmaMin = "sigma_min"
        case sigmaMax = "sigma_max"
        case interpolationType = "interpolation_type"
        case timestepType = "timestep_type"
        case algorithmType = "algorithm_type"
        case solverOrder = "solver_order"
        case solverType = "solver_type"
        case lowerOrderFinal = "lower_order_final"
        case eulerAtFinal = "euler_at_final"
        case finalSigmasType = "final_sigmas_type"
        case lambdaMinClipped = "lambda_min_clipped"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // `null` in the JSON means "the default", as diffusers treats None for these keys.
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        func choice<E: RawRepresentable & CaseIterable>(_ key: CodingKeys, _ fallback: E) throws -> E
            where E.RawValue == String
        {
            guard let raw = try c.decodeIfPresent(String.self, forKey: key) else { return fallback }
            guard let parsed = E(rawValue: raw) else {
                throw SchedulerError.unsupported(key: key.rawValue, value: raw, scheduler: "SchedulerConfig",
                                                 supported: E.allCases.map(\.rawValue))
            }
            return parsed
        }
        className = try c.decodeIfPresent(String.self, forKey: .className)
        numTrainTimesteps = try value(.numTrainTimesteps, numTrainTimesteps)
        betaStart = try value(.betaStart, betaStart)
        betaEnd = try value(.betaEnd, betaEnd)
        betaSchedule = try choice(.betaSchedule, betaSchedule)
        trainedBetas = try c.decodeIfPresent([Double].self, forKey: .trainedBetas)
        predictionType = try choice(.predictionType, predictionType)
        timestepSpacing = try c.decodeIfPresent(String.self, forKey: .timestepSpacing) == nil ? nil
            : try choice(.timestepSpacing, TimestepSpacing.leading)
        stepsOffset = try value(.stepsOffset, stepsOffset)
        clipSample = try value(.clipSample, clipSample)
        clipSampleRange = try value(.clipSampleRange, clipSampleRange)
        setAlphaToOne = try value(.setAlphaToOne, setAlphaToOne)
        thresholding = try value(.thresholding, thresholding)
        rescaleBetasZeroSnr = try value(.rescaleBetasZeroSnr, rescaleBetasZeroSnr)
        varianceType = try c.decodeIfPresent(String.self, forKey: .varianceType)
        useKarrasSigmas = try value(.useKarrasSigmas, useKarrasSigmas)
        useExponentialSigmas = try value(.useExponentialSigmas, useExponentialSigmas)
        useBetaSigmas = try value(.useBetaSigmas, useBetaSigmas)
        useLuLambdas = try value(.useLuLambdas, useLuLambdas)
        sigmaMin = try c.decodeIfPresent(Double.self, forKey: .sigmaMin)
        sigmaMax = try c.decodeIfPresent(Double.self, forKey: .sigmaMax)
        interpolationType = try value(.interpolationType, interpolationType)
        timestepType = try value(.timestepType, timestepType)
        algorithmType = try value(.algorithmType, algorithmType)
        solverOrder = try value(.solverOrder, solverOrder)
        solverType = try value(.solverType, solverType)
        lowerOrderFinal = try value(.lowerOrderFinal, lowerOrderFinal)
        eulerAtFinal = try value(.eulerAtFinal, eulerAtFinal)
        finalSigmasType = try value(.finalSigmasType, finalSigmasType)
        lambdaMinClipped = try c.decodeIfPresent(Double.self, forKey: .lambdaMinClipped)
        guard numTrainTimesteps > 1 else {
            throw SchedulerError.invalidInput("num_train_timesteps must be at least 2, got \(numTrainTimesteps)")
        }
        if let trainedBetas, trainedBetas.count != numTrainTimesteps {
            throw SchedulerError.invalidInput(
                "trained_betas holds \(trainedBetas.count) values, num_train_timesteps is \(numTrainTimesteps)")
        }
        try validate()
    }

    /// What the values mean: betas are probabilities of noise per step, so they lie in (0, 1) (a beta of 0 or
    /// less, or of 1 or more, gives alphas_cumprod of 0, NaN or negative, and black images); counts are
    /// positive and bounded. Each error names the key.
    public func validate() throws {
        try ConfigCheck.count(numTrainTimesteps, "num_train_timesteps", in: 2...100_000)
        if let trainedBetas {
            for (i, beta) in trainedBetas.enumerated() { try ConfigCheck.open(beta, "trained_betas[\(i)]", 0, 1) }
        } else if betaSchedule != .squaredcosCapV2 {
            try ConfigCheck.open(betaStart, "beta_start", 0, 1)
            try ConfigCheck.open(betaEnd, "beta_end", 0, 1)
        }
        try ConfigCheck.count(stepsOffset, "steps_offset", in: 0...(numTrainTimesteps - 1))
        try ConfigCheck.finite(clipSampleRange, "clip_sample_range", positive: true)
        try ConfigCheck.count(solverOrder, "solver_order", in: 1...3)
        if let sigmaMin { try ConfigCheck.finite(sigmaMin, "sigma_min", positive: true) }
        if let sigmaMax { try ConfigCheck.finite(sigmaMax, "sigma_max", positive: true) }
        if let lambdaMinClipped, lambdaMinClipped.isNaN {
            throw ConfigFileError(key: "lambda_min_clipped", "expected a number, got nan")
        }
    }

    /// Reads `scheduler_config.json` (or any diffusers scheduler config file; a regular file, checked before it is
    /// opened); every error is a `ConfigFileError` naming the file and the key.
    public static func load(contentsOf url: URL) throws -> SchedulerConfig {
        try ConfigFile.load(SchedulerConfig.self, path: url.path, kind: "a scheduler config file")
    }
}
