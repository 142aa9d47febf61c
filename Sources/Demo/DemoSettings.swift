import Evaluation
import PortraitWorld
import Training

/// Everything `spf demo` does, as plain data (written into the report): the target, the fine-tuning set, the
/// three trainings sharing one stage 1, and the evaluation. Defaults fit the 5-minute budget on 2 cores with
/// the shipped world models; `spf demo --set key=value` changes any of them.
public struct DemoSettings: Codable, Equatable, Sendable {
    /// Sunglasses: a target the world model draws recognisably (no model of this world draws a hat the probe
    /// calls one, so the hat could not show a response; docs/evaluation.md).
    public var target: PortraitTarget = .sunglasses
    public var seed: UInt64 = 0
    /// Images of the target's (shifted) fine-tuning set.
    public var trainingImages = 128
    public var batchSize = 8
    /// Stage 1, which is also naive fine-tuning: standard fine-tuning on the full text.
    public var naiveSteps = 150
    public var naiveLearningRate = 1e-3
    public var trainable: TrainableSet = .crossAttention
    public var loraSteps = 150
    public var loraLearningRate = 5e-3
    public var loraRank = 4
    /// SPF-Portrait stage 2, initialised from stage 1.
    public var spfSteps = 60
    public var spfLearningRate = 5e-4
    /// Every SPF-Portrait knob of stage 2: the training config's `[spf]` table under the same names
    /// (`--set spf.lambda_fg=0.5`). Three differ from the method's defaults for the world UNet: `sfcm_layers` are
    /// its cross-attention resolutions (1/1 and 1/2 of the 16x16 latents); `phrase_map_normalize` is "mass",
    /// because its attention is diffuse and the paper's max-normalisation gives M = 0 there; `lambda_fg` is 0.3,
    /// tuned: at 1 the feature alignment also erases half the target; lower values trade preservation for detection
    /// (docs/evaluation.md, re-tuned on each world model). `clip_model`
    /// defaults to the world's CLIP (L_enh).
    public var spf: SPFSettings = {
        var spf = SPFSettings()
        spf.sfcmLayers = ["1/1", "1/2"]
        spf.phraseMapNormalize = .mass
        spf.lambdaFg = 0.3
        return spf
    }()
    /// Held-out prompt/seed pairs each model is measured on.
    public var evaluationPairs = 32
    /// Pairs shown in the report's grids.
    public var shownPairs = 6
    /// Fine-tuning examples whose SFCM and target attention the report overlays.
    public var shownMaps = 4
    /// 15 DDIM steps: the evaluation's 7 image sets are most of the demo's time.
    public var sampling: SamplingSettings = {
        var sampling = SamplingSettings()
        sampling.steps = 15
        return sampling
    }()
    public var bootstrapReplicates = 1000

    enum CodingKeys: String, CodingKey {
        case target, seed, trainingImages = "training_images", batchSize = "batch_size"
        case naiveSteps = "naive_steps", naiveLearningRate = "naive_learning_rate", trainable
        case loraSteps = "lora_steps", loraLearningRate = "lora_learning_rate", loraRank = "lora_rank"
        case spfSteps = "spf_steps", spfLearningRate = "spf_learning_rate", spf
        case evaluationPairs = "evaluation_pairs", shownPairs = "shown_pairs", sampling
        case bootstrapReplicates = "bootstrap_replicates"
    }

    public init() {}

    public func validate() throws {
        func positive(_ value: Int, _ name: String) throws {
            guard value > 0 else { throw DemoError("\(name) must be positive, got \(value)") }
        }
        try positive(trainingImages, "training_images")
        try positive(batchSize, "batch_size")
        try positive(naiveSteps, "naive_steps")
        try positive(loraSteps, "lora_steps")
        try positive(spfSteps, "spf_steps")
        try positive(loraRank, "lora_rank")
        // Stage 2 starts from the naive run (stage 1) and trains its tensors; LoRA runs are the LoRA baseline.
        guard spf.stage1Steps == 0 else { throw DemoError("spf.stage1_steps must be 0: the demo's stage 1 is the naive run") }
        guard !spf.lora else { throw DemoError("spf.lora must be false: stage 2 trains the naive run's tensors") }
        // The rest of the [spf] table is checked as `spf train` checks it, before any minute is spent training.
        var stage2 = TrainingConfig()
        (stage2.model, stage2.data, stage2.out, stage2.initFrom) = ("original", "data", "out", "stage 1")
        (stage2.method, stage2.steps, stage2.learningRate, stage2.spf) = (.spf, spfSteps, spfLearningRate, spf)
        do { try stage2.validate() } catch { throw DemoError("\(error)") }
        guard evaluationPairs >= 2 else { throw DemoError("evaluation_pairs must be at least 2, got \(evaluationPairs)") }
        guard (1...evaluationPairs).contains(shownPairs) else {
            throw DemoError("shown_pairs must be in 1...evaluation_pairs (\(evaluationPairs)), got \(shownPairs)")
        }
        guard (1...64).contains(shownMaps), shownMaps <= trainingImages else {
            throw DemoError("shown_maps must be in 1...64 and at most training_images, got \(shownMaps)")
        }
        guard sampling.steps > 0, sampling.size % 8 == 0, sampling.batchSize > 0 else {
            throw DemoError("sampling: steps and batch_size must be positive and size a multiple of 8")
        }
        guard (0...1).contains(sampling.guidanceRescale) else {
            throw DemoError("sampling.guidance_rescale must be in 0...1, got \(sampling.guidanceRescale)")
        }
        do {
            try sampling.projectedGuidance.validate(names: ("sampling.apg.eta", "sampling.apg.momentum",
                                                            "sampling.apg.norm_threshold"))
        } catch { throw DemoError("\(error)") }
    }
}

public struct DemoError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
