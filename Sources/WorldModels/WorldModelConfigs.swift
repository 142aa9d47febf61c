import CLIP
import Diffusion
import Foundation
import PortraitWorld
import Schedulers

/// The attribute probe's shape: a strided CNN (one level per entry of `channels`, each halving the
/// resolution after the first), one linear head per attribute on the pooled last level, and a per-pixel
/// segmentation head on the first two levels.
public struct AttributeProbeConfig: Codable, Equatable, Sendable {
    public var imageSize = 64
    public var channels = [32, 64, 96, 128]
    public var normGroups = 8
    /// The heads read the last level average-pooled to a grid x grid map, flattened (where a colour is matters:
    /// background vs clothing colour), not a global pool.
    public var headGrid = 4
    /// Class counts per head, in `AttributeClass.all` order (recorded so a file can be checked against code).
    public var heads: [String: Int] = Dictionary(uniqueKeysWithValues: AttributeClass.all.map { ($0.name, $0.count) })
    public var segmentationClasses = PortraitLabel.allCases.count
    /// The heads also read, per segmentation class, the mean of the image and of the first two levels over the
    /// pixels the probe's own segmentation gives that class (softmax weights, no gradient into the segmentation),
    /// and the image pooled to head_grid x head_grid. A colour then comes from its region (eye colour from a few
    /// iris pixels, which a pooled grid averages away) and the lighting ramp from the raw brightness. Probes
    /// made before it (no key in config.json) read the pooled last level only.
    public var regionPooling = false

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", channels, normGroups = "norm_groups", headGrid = "head_grid", heads
        case segmentationClasses = "segmentation_classes", regionPooling = "region_pooling"
    }

    public init() {}
    public init(channels: [Int], normGroups: Int = 8, regionPooling: Bool = false) {
        self.channels = channels
        self.normGroups = normGroups
        self.regionPooling = regionPooling
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        channels = try c.decode([Int].self, forKey: .channels)
        normGroups = try c.decode(Int.self, forKey: .normGroups)
        headGrid = try c.decode(Int.self, forKey: .headGrid)
        heads = try c.decode([String: Int].self, forKey: .heads)
        segmentationClasses = try c.decode(Int.self, forKey: .segmentationClasses)
        regionPooling = try c.decodeIfPresent(Bool.self, forKey: .regionPooling) ?? false
    }
}

/// One training stage's optimization settings (AdamW, constant or cosine learning rate after a warm-up).
public struct StageSettings: Codable, Equatable, Sendable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    public var weightDecay = 1e-2
    public var warmupSteps = 0
    public var schedule: String = "constant"
    public var maxGradNorm: Double? = 1.0
    public var checkpointEvery = 100
    public var logEvery = 10
    public var keepCheckpoints = 2

    enum CodingKeys: String, CodingKey {
        case steps, batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case warmupSteps = "warmup_steps", schedule, maxGradNorm = "max_grad_norm"
        case checkpointEvery = "checkpoint_every", logEvery = "log_every", keepCheckpoints = "keep_checkpoints"
    }

    public init(steps: Int, batchSize: Int, learningRate: Double, warmupSteps: Int = 0, checkpointEvery: Int = 100,
                logEvery: Int = 10) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.checkpointEvery = checkpointEvery
        self.logEvery = logEvery
    }
}

/// Every foundation model of the world, at small sizes in the SD 1.5 architectures, with the settings that
/// train them. Plain Codable data: `spf world pretrain` writes it to `DIR/plan.json` and a resumed run
/// reads it back, so a run split over sittings uses one plan.
public struct WorldModelPlan: Codable, Equatable, Sendable {
    /// AutoencoderKL, 64x64x3 -> 16x16x4 (3 levels).
    public var vae: AutoencoderKLConfig
    /// CLIPModel: text tower over the real CLIP BPE vocabulary and 77 positions, vision tower for 64x64.
    public var clip: CLIPConfig
    /// UNet2DConditionModel on 16x16x4 latents, cross-attention on the CLIP text tower's hidden states.
    public var unet: UNet2DConditionConfig
    public var probe: AttributeProbeConfig
    public var vaeTraining: StageSettings
    public var clipTraining: StageSettings
    public var unetTraining: StageSettings
    /// Continuations of the UNet stage added later (`spf world pretrain --resume --extend-unet`): each a warm
    /// restart from the previous phase's weights with its own schedule. Absent in plans made before them.
    public var unetExtensions: [StageSettings]?
    public var probeTraining: StageSettings
    /// Share of each probe batch shown as the trained VAE's reconstructions (posterior mean, decoded, clamped)
    /// instead of the renders, with the renders' ground truth: generations reach the probe through this VAE, and
    /// a probe that has only seen crisp renders misreads its blur (and reads some of it as a target). Absent
    /// (nil) in plans made before it: renders only.
    public var probeReconstructions: Double?
    /// With `probe_reconstructions`: whether the target attributes' heads also learn from the reconstructions.
    /// false: they learn from the crisp renders only (the rest of the probe from both), so that blur, which the
    /// reconstructions of freckles or a beard share with every generation, does not become evidence of a target.
    /// Absent (nil) in plans made before it: true.
    public var probeReconstructionTargets: Bool?
    /// With `probe_reconstructions` and the target heads on reconstructions (`probe_reconstruction_targets` true or
    /// absent): a target head's truth on a reconstruction is whether the target is still visible in it
    /// (`VisibleTargets`: nearer the render than the same portrait rendered without it), not the
    /// render's. The VAE blurs freckles and earrings into the skin; told "freckles" on such an image, a head learns
    /// that blur is a freckle. Absent in older plans: the render's targets.
    public var probeVisibleTargets: Bool?
    /// With `probe_reconstructions`: more heads (attribute names, `AttributeClass.name`) that learn from the crisp
    /// renders only, for details the VAE does not keep (the eye colour is two pixels per eye): trained on
    /// reconstructions too, such a head learns to guess from the rest of the portrait and then misreads renders.
    /// Absent in older plans: none.
    public var probeRendersOnly: [String]?
    /// CLIP batches of B/2 examples and their counterparts (`WorldDataset.counterpart`: the same portrait with
    /// one captioned attribute changed) instead of B random examples, so that the text tower must encode every
    /// captioned attribute. Absent (nil) in plans made before it: random batches.
    public var clipCounterparts: Bool?
    /// With `clip_counterparts`: the share of CLIP's pairs that are a portrait with one target, captioned with
    /// it, and the same portrait without it (`RenderedExamples.targetPair`), so that the text tower knows the
    /// target words before a fine-tuning caption uses them, as real CLIP does. The UNet's data stays
    /// target-free. Absent, nil or 0: CLIP never reads a target word.
    public var clipTargetPairs: Double?
    /// Weight of the caption attribute heads' loss in the CLIP stage (`CaptionAttributeHeads`: every caption
    /// phrase's token states predict the attributes it states), so that the text tower separates words the
    /// vision tower cannot teach it (hair style, face shape, subject). Absent, nil or 0: contrastive loss only.
    public var clipCaptionAttributes: Double?
    /// Min-SNR loss weighting of the UNet stage (`snr_gamma`, as the engine's): absent in older plans (none).
    public var unetSNRGamma: Double?
    /// The UNet stage keeps and ships an exponential moving average of its weights with this maximum decay
    /// (the engine's `ema_decay`, diffusers' `--use_ema`): absent in older plans (none).
    public var unetEMADecay: Double?
    /// What the UNet learns to predict (the pipeline's scheduler `prediction_type`, which the engine's loss and
    /// every sampler read): absent in older plans, epsilon. v_prediction (SD 2.x's) gives a usable x0 estimate
    /// at high noise, where an epsilon error is multiplied by 1/sqrt(alpha_bar) (~15 at t = 999).
    public var unetPredictionType: PredictionType?
    /// Pre-training images rendered for the UNet stage (the engine trains on a metadata.jsonl folder).
    public var unetImages: Int
    /// The drawing styles of those images, each listed as often as it is likely (e.g. `["photo", "photo",
    /// "cartoon"]`: 1 cartoon in 3), so that the UNet can see more of a style than the captions it is measured on
    /// (pre-training's 1 in 4). Absent in older plans: pre-training's mix.
    public var unetStyles: [Style]?
    /// Probability of training the UNet on the empty caption (classifier-free guidance).
    public var captionDropout = 0.1
    /// KL weight of the VAE loss (L1 + L2 + kl_weight * KL).
    public var klWeight = 1e-4
    /// Weights of the VAE's reconstruction error by the render's label (`PortraitLabel` names, e.g. `{"eyes": 10}`;
    /// 1 elsewhere, normalized to mean 1): unweighted, the VAE lost the iris colour (a few pixels per eye).
    /// Absent in older plans: unweighted.
    public var vaeLabelWeights: [String: Double]?
    /// Weights of the UNet's denoising error per latent cell by the labels of the pixels it covers (`PortraitLabel`
    /// names, e.g. `{"skin": 2, "eyes": 4}`; 1 elsewhere, a batch normalized to mean 1; `LatentLabelWeights`).
    /// Absent in older plans: unweighted.
    public var unetLabelWeights: [String: Double]?
    /// Held-out images each stage is measured on when it finishes (VAE PSNR, CLIP retrieval, probe accuracy).
    public var evaluationImages = 256
    public var seed: UInt64 = 0

    enum CodingKeys: String, CodingKey {
        case vae, clip, unet, probe, seed
        case vaeTraining = "vae_training", clipTraining = "clip_training", unetTraining = "unet_training"
        case probeTraining = "probe_training", unetImages = "unet_images", captionDropout = "caption_dropout"
        case klWeight = "kl_weight", evaluationImages = "evaluation_images", unetExtensions = "unet_extensions"
        case probeReconstructions = "probe_reconstructions", clipCounterparts = "clip_counterparts"
        case probeReconstructionTargets = "probe_reconstruction_targets", probeRendersOnly = "probe_renders_only"
        case unetSNRGamma = "unet_snr_gamma", clipCaptionAttributes = "clip_caption_attributes"
        case clipTargetPairs = "clip_target_pairs", unetEMADecay = "unet_ema_decay", vaeLabelWeights = "vae_label_weights"
        case unetPredictionType = "unet_prediction_type"
        case unetLabelWeights = "unet_label_weights"
        case probeVisibleTargets = "probe_visible_targets"
        case unetStyles = "unet_styles"
    }

    /// The UNet's training phases in order, each with its run folder under DIR: stages/unet (the plan's
    /// stage), then stages/unet-ext1, stages/unet-ext2, ... The last phase's `model` folder is the trained UNet.
    public var unetPhases: [(folder: String, settings: StageSettings)] {
        [("stages/unet", unetTraining)]
            + (unetExtensions ?? []).enumerated().map { ("stages/unet-ext\($0.offset + 1)", $0.element) }
    }

    public static func vaeConfig(channels: [Int], groups: Int) -> AutoencoderKLConfig {
        var vae = AutoencoderKLConfig()
        vae.downBlockTypes = Array(repeating: "DownEncoderBlock2D", count: channels.count)
        vae.upBlockTypes = Array(repeating: "UpDecoderBlock2D", count: channels.count)
        vae.blockOutChannels = channels
        vae.layersPerBlock = 1
        vae.normNumGroups = groups
        vae.sampleSize = 64
        vae.latentChannels = 4
        vae.scalingFactor = 1.0  // replaced by 1 / std of the trained latents
        vae.forceUpcast = false
        return vae
    }

    public static func clipConfig(hidden: Int, layers: Int, heads: Int, patch: Int, projection: Int) -> CLIPConfig {
        let text = CLIPTextConfig(vocabSize: 49408, hiddenSize: hidden, intermediateSize: 4 * hidden,
                                  projectionDim: projection, numHiddenLayers: layers, numAttentionHeads: heads,
                                  maxPositionEmbeddings: 77, hiddenAct: .quickGelu, padTokenId: 49407,
                                  bosTokenId: 49406, eosTokenId: 49407)
        let vision = CLIPVisionConfig(hiddenSize: hidden, intermediateSize: 4 * hidden, projectionDim: projection,
                                      numHiddenLayers: layers, numAttentionHeads: heads, imageSize: 64, patchSize: patch)
        return CLIPConfig(textConfig: text, visionConfig: vision, projectionDim: projection)
    }

    public static func unetConfig(channels: [Int], crossAttentionDim: Int, heads: Int, layersPerBlock: Int,
                                  groups: Int = 32) throws -> UNet2DConditionConfig {
        let n = channels.count
        let json: [String: Any] = [
            "_class_name": "UNet2DConditionModel",
            "sample_size": 16, "in_channels": 4, "out_channels": 4,
            "down_block_types": Array(repeating: "CrossAttnDownBlock2D", count: n - 1) + ["DownBlock2D"],
            "up_block_types": ["UpBlock2D"] + Array(repeating: "CrossAttnUpBlock2D", count: n - 1),
            "block_out_channels": channels, "layers_per_block": layersPerBlock,
            "cross_attention_dim": crossAttentionDim, "attention_head_dim": heads, "norm_num_groups": groups,
        ]
        return try JSONDecoder().decode(UNet2DConditionConfig.self,
                                        from: JSONSerialization.data(withJSONObject: json))
    }

    /// The sizes and budgets chosen from the measurements in docs/portrait-world.md (the plan that made
    /// models/world). CLIP trains with counterparts and the caption attribute heads (2026-12-01: caption agreement
    /// of the original model's generations 54% -> 68%). The probe pools over its own segmentation's regions
    /// (`region_pooling`) and sees half of each batch as VAE reconstructions (`probe_reconstructions`): it then
    /// reads generations, which reach it through the VAE, as well as reconstructions (caption agreement 68.6% ->
    /// 75.5%, reconstructions 78% -> 91%). Its target heads learn from the reconstructions too, told only the
    /// targets still visible in each (`probe_visible_targets`; 2026-12-03: of the targets visible in held-out
    /// reconstructions it reads 81% instead of 55%, sunglasses 84% instead of 41%, and sees a target in 0.4% of
    /// target-free reconstructions instead of 2.7%; with the render's targets as truth it saw targets in 24% of
    /// generations, 2026-11-30, and with the target heads on renders only it missed most blurred targets). Its
    /// eye colour and face shape heads learn from the renders only
    /// (`probe_renders_only`: the VAE keeps 29% and 69% of them; 2026-12-02: eye colour where shown 58% -> 79%,
    /// face shape 82% -> 86%, false targets in generations 17.6% -> 15.6%). A quarter of CLIP's pairs are target
    /// pairs (`clip_target_pairs`), so that the target words mean something before a fine-tuning caption uses
    /// them, and the UNet has two layers per block (2026-12-01: caption agreement 75.5% -> 79.3% with one layer's
    /// CLIP; with target pairs the new word's attention follows the SFCM, correlation 0.53 where one layer had
    /// 0.29 and two layers without target pairs 0.10). `unet_snr_gamma` is off (tried with counterparts: no clear gain); the tiny plan turns
    /// every option on so that tests cover them. The UNet trains on 70,400 examples in batches of 16 for 4400 steps:
    /// twice the updates of batches of 32 on the same examples (2026-12-02: caption agreement 79.5% -> 83.5% at
    /// guidance 5, false targets at guidance 2 3.5% -> 3.1%; SPF-Portrait in the demo preserves more; the new word's
    /// attention follows the SFCM less, correlation 0.53 -> 0.15; a peak rate of 1.2e-3 instead of 8e-4 changed
    /// nothing beyond the noise). The probe likewise trains on 48,000 examples in batches of 16 for 3000 steps (2026-12-03:
    /// 96.0% -> 97.9% of the attributes its held-out renders show, eye colour 79% -> 95%; 1.13 times the batch-32
    /// stage's time). The UNet predicts v (`unet_prediction_type`; 2026-12-03: caption agreement 84.8% -> 86.0% at
    /// guidance 3 and 82.8% -> 84.7% at 2, Frechet distance 0.068 -> 0.055 at 3, but false targets 6.6% -> 11.3% at 3,
    /// mostly freckles on photos; the same steps and time). About 178 minutes on the slowest idle 2-core machine measured (VAE 24, CLIP 12, data 4,
    /// UNet ~102, probe ~34 with visible targets, whose renders without each target add up to ~20% to the probe
    /// stage: 850 -> 1063 s here; the UNet stage takes 58-63 minutes on a faster one), inside the 3-hour budget with
    /// little to spare.
    /// Cosine decay after a warm-up: short runs end at a low rate instead of mid-noise.
    public static func standard() throws -> WorldModelPlan {
        func cosine(_ settings: StageSettings) -> StageSettings {
            var settings = settings
            settings.schedule = "cosine"
            return settings
        }
        var probe = AttributeProbeConfig()
        probe.regionPooling = true
        var plan = WorldModelPlan(
            vae: vaeConfig(channels: [32, 64, 64], groups: 16),
            clip: clipConfig(hidden: 64, layers: 3, heads: 4, patch: 8, projection: 64),
            unet: try unetConfig(channels: [64, 128, 128], crossAttentionDim: 64, heads: 4, layersPerBlock: 2),
            probe: probe,
            vaeTraining: cosine(StageSettings(steps: 600, batchSize: 32, learningRate: 1e-3, warmupSteps: 30)),
            clipTraining: cosine(StageSettings(steps: 2000, batchSize: 64, learningRate: 5e-4, warmupSteps: 50)),
            unetTraining: cosine(StageSettings(steps: 4400, batchSize: 16, learningRate: 8e-4, warmupSteps: 200,
                                               checkpointEvery: 100)),
            probeTraining: cosine(StageSettings(steps: 3000, batchSize: 16, learningRate: 1e-3, warmupSteps: 100)),
            probeReconstructions: 0.5,
            probeReconstructionTargets: true,
            probeRendersOnly: ["eye_color", "face_shape"],
            clipCounterparts: true,
            clipTargetPairs: 0.25,
            clipCaptionAttributes: 1,
            unetImages: 12000)
        plan.unetPredictionType = .vPrediction
        plan.probeVisibleTargets = true
        return plan
    }

    /// The smallest models that still have every part (tests: a few seconds per stage).
    public static func tiny(steps: Int = 4) throws -> WorldModelPlan {
        var vae = vaeConfig(channels: [8, 16, 16], groups: 4)
        vae.midBlockAddAttention = true
        var plan = WorldModelPlan(
            vae: vae,
            clip: clipConfig(hidden: 16, layers: 1, heads: 2, patch: 16, projection: 16),
            unet: try unetConfig(channels: [16, 32, 32], crossAttentionDim: 16, heads: 2, layersPerBlock: 1, groups: 8),
            probe: AttributeProbeConfig(channels: [8, 16, 16, 16], normGroups: 4, regionPooling: true),
            vaeTraining: StageSettings(steps: steps, batchSize: 4, learningRate: 3e-3, checkpointEvery: 2, logEvery: 1),
            clipTraining: StageSettings(steps: steps, batchSize: 4, learningRate: 3e-3, checkpointEvery: 2, logEvery: 1),
            unetTraining: StageSettings(steps: steps, batchSize: 2, learningRate: 1e-3, checkpointEvery: 2, logEvery: 1),
            probeTraining: StageSettings(steps: steps, batchSize: 4, learningRate: 3e-3, checkpointEvery: 2, logEvery: 1),
            probeReconstructions: 0.5,
            unetImages: 8)
        plan.evaluationImages = 8
        plan.clipCounterparts = true
        plan.clipCaptionAttributes = 1
        plan.clipTargetPairs = 0.5
        plan.unetSNRGamma = 5
        plan.unetEMADecay = 0.9
        plan.probeReconstructionTargets = true
        plan.probeVisibleTargets = true
        plan.probeRendersOnly = ["eye_color"]
        plan.unetPredictionType = .vPrediction
        plan.unetStyles = [.photo, .cartoon]
        return plan
    }
}
