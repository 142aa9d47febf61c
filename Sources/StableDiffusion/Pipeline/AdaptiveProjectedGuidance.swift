import Torch

/// Adaptive projected guidance (APG; Sadat et al. 2024, "Eliminating Oversaturation and Artifacts of High
/// Guidance Scales in Diffusion Models"), computed as diffusers' `AdaptiveProjectedGuidance` guider does
/// (`normalized_guidance`, on the noise predictions): the guidance direction cond - uncond is averaged over the
/// steps with `momentum`, its norm per image is capped at `normThreshold`, and its component parallel to the
/// conditional prediction is weighted by `eta`; the prediction is uncond + scale * that update.
/// The neutral values (eta 1, momentum 0, threshold 0) are plain classifier-free guidance, and `DenoisingLoop`
/// then takes the plain path, so existing results do not move by a rounding.
public struct AdaptiveProjectedGuidance: Codable, Equatable, Sendable {
    /// Weight of the update's component parallel to the conditional prediction (the paper's eta; 1 keeps it).
    public var eta: Double = 1
    /// The running average's coefficient (the paper's beta; negative values, -0.5 to -0.75, are its
    /// recommendation); 0 uses each step's direction alone, as diffusers' momentum None.
    public var momentum: Double = 0
    /// Caps the L2 norm of the update over each image's latent (the paper's r, diffusers'
    /// `adaptive_projected_guidance_rescale`); 0 leaves it uncapped.
    public var normThreshold: Double = 0

    enum CodingKeys: String, CodingKey {
        case eta, momentum, normThreshold = "norm_threshold"
    }

    public init(eta: Double = 1, momentum: Double = 0, normThreshold: Double = 0) {
        self.eta = eta
        self.momentum = momentum
        self.normThreshold = normThreshold
    }

    /// Missing fields take their neutral values, so `{"norm_threshold": 1}` is enough.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eta = try container.decodeIfPresent(Double.self, forKey: .eta) ?? 1
        momentum = try container.decodeIfPresent(Double.self, forKey: .momentum) ?? 0
        normThreshold = try container.decodeIfPresent(Double.self, forKey: .normThreshold) ?? 0
    }

    /// Plain classifier-free guidance.
    public static let none = AdaptiveProjectedGuidance()

    public var isPlainGuidance: Bool { eta == 1 && momentum == 0 && normThreshold == 0 }

    /// The range checks; the message names the field as the caller spells it (a flag, a settings key).
    public func validate(names: (eta: String, momentum: String, normThreshold: String)
                            = ("APG eta", "APG momentum", "APG norm threshold")) throws {
        guard eta.isFinite, (0...1).contains(eta) else { throw PipelineError("\(names.eta) must be in 0...1, got \(eta)") }
        // |momentum| >= 1 makes the running sum grow without bound.
        guard momentum.isFinite, momentum > -1, momentum < 1 else {
            throw PipelineError("\(names.momentum) must be in (-1, 1), got \(momentum)")
        }
        guard normThreshold.isFinite, normThreshold >= 0 else {
            throw PipelineError("\(names.normThreshold) must be 0 (off) or positive, got \(normThreshold)")
        }
    }

    /// One sampling run's guidance: keeps the running average between steps (a new one per run, as diffusers'
    /// guider makes its momentum buffer at step 0).
    public struct Run {
        public let settings: AdaptiveProjectedGuidance
        public let scale: Double
        private var runningAverage: Tensor?

        public init(_ settings: AdaptiveProjectedGuidance, scale: Double) {
            self.settings = settings
            self.scale = scale
        }

        /// The guided noise prediction from the unconditional and conditional ones ([B, ...], per image).
        public mutating func guide(unconditional: Tensor, conditional: Tensor) throws -> Tensor {
            var difference = try conditional - unconditional
            if settings.momentum != 0 {
                if let runningAverage { difference = try difference + runningAverage * settings.momentum }
                runningAverage = difference
            }
            let dims = Array(1..<difference.ndim)
            if settings.normThreshold > 0 {
                let norm = try difference.norm(2, dims: dims, keepDim: true)
                // min(1, r / ||d||): an all-zero difference gives r / 0 = inf, capped to 1.
                difference = try difference * (norm.reciprocal() * settings.normThreshold).clamp(max: 1)
            }
            // In float64, as diffusers projects; F.normalize divides by max(||v||, 1e-12).
            let update = try difference.to(.float64)
            let direction64 = try conditional.to(.float64)
            let unit = try direction64 / direction64.norm(2, dims: dims, keepDim: true).clamp(min: 1e-12)
            let parallel64 = try (update * unit).sum(dims: dims, keepDim: true) * unit
            let parallel = try parallel64.to(difference.dtype), orthogonal = try (update - parallel64).to(difference.dtype)
            let normalized = try orthogonal + parallel * settings.eta
            return try unconditional + normalized * scale
        }
    }
}
