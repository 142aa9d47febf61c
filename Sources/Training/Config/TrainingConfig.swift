import Foundation

/// Everything a fine-tuning run needs, as one plain value. `spf train` reads it from a TOML file, applies
/// command-line overrides, validates it (errors name the field) and saves the resolved value into the run
/// folder, so that a run can always be repeated and resumed from what it recorded. Keys are snake_case in
/// files (`learning_rate`, `[lora] rank`).
public struct TrainingConfig: Codable, Equatable, Sendable {
    // What to train on and where to write.
    /// A diffusers folder or an original single-file SD 1.5 checkpoint.
    public var model: String = ""
    /// Tokenizer folder or `bpe_simple_vocab_16e6.txt.gz`, needed for a single-file model.
    public var tokenizer: String?
    /// A folder of images with `metadata.jsonl`.
    public var data: String = ""
    /// The run folder.
    public var out: String = ""

    // What is trained.
    public var method: FineTuningMethod = .naive
    /// For `naive`: the whole UNet or its cross-attention layers.
    public var trainable: TrainableSet = .all
    public var lora = LoRASettings()
    /// SPF-Portrait's settings (`method = "spf"`).
    public var spf = SPFSettings()
    /// `method = "spf"`: a finished stage-1 run folder (naive or LoRA) whose trained tensors stage 2 starts from.
    public var initFrom: String?

    // Optimization.
    public var steps = 1000
    public var batchSize = 1
    public var gradientAccumulation = 1
    public var learningRate = 1e-5
    public var lrSchedule: LearningRateScheduleKind = .constant
    public var warmupSteps = 0
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    public var weightDecay = 1e-2
    /// nil: no clipping (the gradient norm is still logged).
    public var maxGradNorm: Double? = 1.0
    /// Min-SNR loss weighting (Hang et al. 2023); nil = off. 5 is the paper's value.
    public var snrGamma: Double?
    /// Keep an exponential moving average of the trained tensors with this maximum decay and export it
    /// (diffusers' `--use_ema` is 0.9999); nil = off. `EMAWeights` has the schedule.
    public var emaDecay: Double?
    /// Offset noise strength; 0 = off.
    public var noiseOffset = 0.0
    public var gradientCheckpointing = false
    public var mixedPrecision: MixedPrecision = .no
    public var seed: UInt64 = 0

    // Data.
    public var resolution = 512
    public var crop: CropMode = .center
    /// Off by default: portraits have asymmetric attributes (a parting, an earring on one side).
    public var flip = false
    /// Where VAE latents and text embeddings are cached; default `<out>/cache`.
    public var cacheDirectory: String?

    // Watching and saving.
    public var logEvery = 1
    public var checkpointEvery = 500
    public var keepCheckpoints = 3
    /// nil: no validation images.
    public var validationEvery: Int?
    public var validationPrompts: [ValidationPrompt] = []
    public var validationSeed: UInt64 = 0
    public var validationSteps = 20
    public var validationGuidance = 7.5

    public init() {}

    /// diffusers' train_text_to_image defaults where they exist.
    public static var defaults: TrainingConfig { TrainingConfig() }

    /// The file and flag names of every field.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, tokenizer, data, out, method, trainable, lora, spf, steps, initFrom = "init_from"
        case batchSize = "batch_size", gradientAccumulation = "gradient_accumulation"
        case learningRate = "learning_rate", lrSchedule = "lr_schedule", warmupSteps = "warmup_steps"
        case adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon"
        case weightDecay = "weight_decay", maxGradNorm = "max_grad_norm", snrGamma = "snr_gamma"
        case emaDecay = "ema_decay", noiseOffset = "noise_offset", gradientCheckpointing = "gradient_checkpointing"
        case mixedPrecision = "mixed_precision", seed, resolution, crop, flip
        case cacheDirectory = "cache_directory", logEvery = "log_every", checkpointEvery = "checkpoint_every"
        case keepCheckpoints = "keep_checkpoints", validationEvery = "validation_every"
        case validationPrompts = "validation_prompts", validationSeed = "validation_seed"
        case validationSteps = "validation_steps", validationGuidance = "validation_guidance"
    }
}

public enum FineTuningMethod: String, Codable, Sendable, CaseIterable {
    /// Standard fine-tuning of UNet weights on the full text (SPF-Portrait's stage 1 and its baseline).
    case naive
    /// Low-rank adapters on the UNet's attention projections.
    case lora
    /// SPF-Portrait: stage 1 (as naive or LoRA) then dual-path alignment (`[spf]`).
    case spf
}

public enum TrainableSet: String, Codable, Sendable, CaseIterable {
    case all
    case crossAttention = "cross_attention"
}

public enum LearningRateScheduleKind: String, Codable, Sendable, CaseIterable {
    case constant, linear, cosine
}

public enum MixedPrecision: String, Codable, Sendable, CaseIterable {
    case no
    /// bfloat16 autocast with float32 master weights.
    case bf16
}

public enum CropMode: String, Codable, Sendable, CaseIterable {
    case center, random
}

public struct LoRASettings: Codable, Equatable, Sendable {
    public var rank = 4
    public var alpha = 4.0
    /// Module names (suffixes) that get adapters, as PEFT's target_modules.
    public var targets = ["to_q", "to_k", "to_v", "to_out.0"]
    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case rank, alpha, targets
    }
}
