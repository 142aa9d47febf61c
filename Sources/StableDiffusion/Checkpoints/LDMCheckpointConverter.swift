import Foundation
import SafeTensors
import Torch

/// Converts an original Stable Diffusion 1.x single-file checkpoint (LDM names: `model.diffusion_model.*`,
/// `first_stage_model.*`, `cond_stage_model.transformer.*`) to diffusers' names per component, as diffusers
/// 0.42.1's convert_ldm_unet_checkpoint / convert_ldm_vae_checkpoint / convert_ldm_clip_checkpoint do.
///
/// Unlike diffusers, which skips what it does not find, the conversion is strict: every key must be known
/// (a weight of the layouts, or one of LatentDiffusion's non-weight buffers), and every weight a requested
/// component needs must be present; otherwise it throws, naming the keys.
public struct LDMCheckpointConverter: Sendable {
    public var unet: UNetCheckpointLayout
    public var vae: VAECheckpointLayout
    public var textEncoder: TextEncoderCheckpointLayout
    /// Take the UNet from LDM's EMA copy (`model_ema.*`) instead of `model.diffusion_model.*`
    /// (diffusers' `extract_ema=True`).
    public var extractEMA: Bool
    /// Keys starting with one of these are ignored rather than unknown (e.g. `first_stage_model.loss.` in
    /// checkpoints saved with the VAE's training loss).
    public var ignoredPrefixes: [String]

    public init(unet: UNetCheckpointLayout = .sd15, vae: VAECheckpointLayout = .sd15,
                textEncoder: TextEncoderCheckpointLayout = .sd15, extractEMA: Bool = false,
                ignoredPrefixes: [String] = []) {
        self.unet = unet
        self.vae = vae
        self.textEncoder = textEncoder
        self.extractEMA = extractEMA
        self.ignoredPrefixes = ignoredPrefixes
    }

    /// LatentDiffusion's registered buffers and EMA bookkeeping: in SD 1.x files, but not weights.
    public static let nonWeightKeys: Set<String> = [
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
        "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
        "logvar", "model_ema.decay", "model_ema.num_updates", LDMTextEncoderKeys.positionIDs,
    ]

    /// The plan for a checkpoint holding `keys`.
    public func plan<Keys: Sequence<String>>(keys: Keys,
                                             components: Set<CheckpointComponent> = Set(CheckpointComponent.allCases))
        throws -> LDMConversionPlan
    {
        let present = Set(keys)
        var all: [CheckpointComponent: [LDMTensorMapping]] = [
            .unet: try LDMUNetKeys.mappings(unet),
            .vae: try LDMVAEKeys.mappings(vae),
            .textEncoder: try LDMTextEncoderKeys.mappings(textEncoder),
        ]
        let emaSources = all[.unet]!.map { LDMUNetKeys.emaName($0.source) }
        var known = Self.nonWeightKeys.union(emaSources)
        for mappings in all.values { known.formUnion(mappings.map(\.source)) }
        let unknown = present.subtracting(known).filter { key in !ignoredPrefixes.contains { key.hasPrefix($0) } }
        guard unknown.isEmpty else { throw CheckpointError.unknownKeys(unknown.sorted()) }

        if extractEMA {
            all[.unet] = all[.unet]!.map {
                LDMTensorMapping(source: LDMUNetKeys.emaName($0.source), target: $0.target, transform: $0.transform)
            }
        }
        var chosen: [CheckpointComponent: [LDMTensorMapping]] = [:]
        var used = Set<String>()
        for component in CheckpointComponent.allCases where components.contains(component) {
            let mappings = all[component]!
            let missing = mappings.map(\.source).filter { !present.contains($0) }
            guard missing.isEmpty else {
                throw CheckpointError.missingKeys(component: component.rawValue, missing.sorted())
            }
            chosen[component] = mappings
            used.formUnion(mappings.map(\.source))
        }
        return LDMConversionPlan(mappings: chosen, ignoredKeys: present.subtracting(used).sorted())
    }

    /// The plan for the safetensors file at `path`, from its header alone.
    public func plan(fileAt path: String,
                     components: Set<CheckpointComponent> = Set(CheckpointComponent.allCases)) throws -> LDMConversionPlan {
        try plan(keys: SafeTensorsFile(path: path).names, components: components)
    }

    /// The diffusers shapes each component would get from the file at `path`, from its header alone.
    public func convertedShapes(fileAt path: String,
                                components: Set<CheckpointComponent> = Set(CheckpointComponent.allCases))
        throws -> [CheckpointComponent: [String: [Int]]]
    {
        let file = try SafeTensorsFile(path: path)
        let plan = try plan(keys: file.names, components: components)
        return plan.mappings.mapValues { mappings in
            Dictionary(uniqueKeysWithValues: mappings.map { ($0.target, $0.targetShape(file.info($0.source)!.shape)) })
        }
    }

    /// Converts loaded tensors; floating-point tensors are cast to `dtype` when given.
    public func convert(_ checkpoint: [String: Tensor],
                        components: Set<CheckpointComponent> = Set(CheckpointComponent.allCases),
                        dtype: DType? = nil) throws -> [CheckpointComponent: [String: Tensor]]
    {
        let plan = try plan(keys: checkpoint.keys, components: components)
        return try plan.mappings.mapValues { mappings in
            var out: [String: Tensor] = [:]
            for mapping in mappings {
                out[mapping.target] = try Self.cast(mapping.apply(checkpoint[mapping.source]!), dtype)
            }
            return out
        }
    }

    /// Converts the safetensors file at `path`, reading only the tensors the requested components need.
    public func convert(fileAt path: String,
                        components: Set<CheckpointComponent> = Set(CheckpointComponent.allCases),
                        dtype: DType? = nil, device: Device = .cpu) throws -> [CheckpointComponent: [String: Tensor]]
    {
        let file = try SafeTensorsFile(path: path)
        let plan = try plan(keys: file.names, components: components)
        return try plan.mappings.mapValues { mappings in
            var out: [String: Tensor] = [:]
            for mapping in mappings {
                out[mapping.target] = try Self.cast(mapping.apply(file.tensor(mapping.source, device: device)), dtype)
            }
            return out
        }
    }

    static func cast(_ tensor: Tensor, _ dtype: DType?) throws -> Tensor {
        guard let dtype, tensor.dtype.isFloatingPoint, tensor.dtype != dtype else { return tensor }
        return try tensor.to(dtype)
    }
}
