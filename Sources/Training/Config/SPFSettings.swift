import Foundation

/// The `[spf]` table of a training configuration: SPF-Portrait's loss weights and every choice the paper leaves
/// open (docs/method.md lists each with its default and why). Read only when `method = "spf"`.
public struct SPFSettings: Codable, Equatable, Sendable {
    /// Optimizer steps of stage 1 (L_diff on the full text) before stage 2 starts in the same run; 0 = stage 2
    /// only (from `init_from`, or from the model itself).
    public var stage1Steps = 0
    /// Train LoRA adapters (the `[lora]` table) instead of UNet weights (`trainable`).
    public var lora = false

    // Loss weights: L = lambda_diff L_diff + lambda_tc L_tc + lambda_fg L_fg + lambda_enh L_enh.
    public var lambdaDiff = 1.0
    public var lambdaTc = 1.0
    public var lambdaFg = 1.0
    /// Needs `clip_model`; without one L_enh is off (the run says so).
    public var lambdaEnh = 0.1

    // The semantic-aware fine control map.
    /// false: "w/o SFCM", W = 1 everywhere.
    public var sfcm = true
    /// The response-path layers whose phrase maps feed the SFCM (capture selectors: "1/N", "all", a name).
    public var sfcmLayers = ["1/4", "1/2"]
    /// Noise difference per position: mean over channels of |eps_res - eps_ref| ("abs") or of its square.
    public var nd: NoiseDifference = .abs
    /// Min-max normalise the noise difference per sample.
    public var ndNormalize = true
    /// Phrase maps Ahat_p: each divided by its own max ("max", the paper's step) or kept as attention probability
    /// mass ("mass": over phrases they sum to <= 1 at a pixel). With diffuse attention, max-normalised maps are
    /// ~1 everywhere and their weighted sum over a caption's phrases exceeds ND at every pixel, giving M = 0.
    public var phraseMapNormalize: PhraseMapNormalize = .max
    /// Phrase weights w_p: CLIP cosine distance of the phrase to the target ("clip") or 1 ("uniform").
    public var phraseWeights: PhraseWeighting = .clip
    /// Divide the phrase weights of a sample by their largest.
    public var phraseWeightsNormalize = true
    /// Gaussian blur of M (sigma in latent pixels; 0 = none), kernel 2 * ceil(2 sigma) + 1, zero padding.
    public var blurSigma = 0.0
    /// Divide M by its per-sample max after the clamp (and blur).
    public var sfcmRenormalize = true
    /// How maps are resized (phrase maps to latent size, W to each layer's size).
    public var resize: MapResize = .bilinear

    // Alignment losses.
    /// Layers of L_tc and L_fg (capture selectors).
    public var tcLayers = ["all"]
    public var fgLayers = ["all"]
    /// Include the PAD group (EOS and the padding after it) in L_tc.
    public var padGroup = true
    /// Replace mode: the replaced base phrase is left out of L_tc ("exclude") or its map in B is aligned with
    /// the target's map in F ("target"). It never enters the SFCM's phrase sum.
    public var replacedPhrase: ReplacedPhrase = .exclude

    // Response enhancement.
    public var enhanceMode: EnhanceMode = .difference
    /// L_enh applies to samples with t <= enhance_t_max.
    public var enhanceTMax = 400
    /// A transformers CLIPModel folder (config.json, model.safetensors, tokenizer files).
    public var clipModel: String?

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case stage1Steps = "stage1_steps", lora
        case lambdaDiff = "lambda_diff", lambdaTc = "lambda_tc", lambdaFg = "lambda_fg", lambdaEnh = "lambda_enh"
        case sfcm, sfcmLayers = "sfcm_layers", nd, ndNormalize = "nd_normalize", phraseWeights = "phrase_weights"
        case phraseWeightsNormalize = "phrase_weights_normalize", blurSigma = "blur_sigma"
        case sfcmRenormalize = "sfcm_renormalize", resize, phraseMapNormalize = "phrase_map_normalize"
        case tcLayers = "tc_layers", fgLayers = "fg_layers", padGroup = "pad_group", replacedPhrase = "replaced_phrase"
        case enhanceMode = "enhance_mode", enhanceTMax = "enhance_t_max", clipModel = "clip_model"
    }

    /// Whether L_enh runs: a positive weight and a CLIP model.
    public var enhancementActive: Bool { lambdaEnh > 0 && clipModel != nil }

    /// Why L_enh is off although weighted, for the run's log; nil when nothing is to say.
    public var enhancementNote: String? {
        lambdaEnh > 0 && clipModel == nil
            ? "L_enh is off: spf.lambda_enh = \(lambdaEnh) but no spf.clip_model (a transformers CLIPModel folder) is configured"
            : nil
    }
}

public enum NoiseDifference: String, Codable, Sendable, CaseIterable { case abs, squared }
public enum PhraseWeighting: String, Codable, Sendable, CaseIterable { case clip, uniform }
public enum MapResize: String, Codable, Sendable, CaseIterable { case bilinear, nearest }
public enum PhraseMapNormalize: String, Codable, Sendable, CaseIterable { case max, mass }
public enum ReplacedPhrase: String, Codable, Sendable, CaseIterable { case exclude, target }
public enum EnhanceMode: String, Codable, Sendable, CaseIterable { case difference, directional, direct }
