import CLIP
import Diffusion
import Foundation
import NN
import PortraitWorld
import Tokenizers
import Torch
import Training

/// Times one training step (forward, backward, AdamW) of each foundation model at a few sizes, on a fixed
/// rendered batch (rendering is timed apart), so that a pretraining budget can be planned from measurements.
public enum WorldModelBench {
    public struct Row: Sendable {
        public var model: String
        public var variant: String
        public var parameters: Int
        public var batchSize: Int
        public var secondsPerStep: Double
    }

    /// The sizes measured: the standard plan's and neighbours.
    public typealias Variant = (model: String, variant: String, batch: Int, make: () throws -> WorldStage)

    public static func variants(tokenizer: CLIPTokenizer?) throws -> [Variant] {
        let pretraining = try RenderedExamples(kind: .pretraining, seed: 0)
        let probeExamples = try RenderedExamples(kind: .probe, seed: 0)
        let factory = { ParameterFactory(generator: try Generator(seed: 1)) }
        var rows: [Variant] = []
        for channels in [[16, 32, 32], [32, 64, 64], [64, 128, 128]] {
            rows.append(("vae", "\(channels)", 32, {
                let vae = try AutoencoderKL(WorldModelPlan.vaeConfig(channels: channels, groups: 16), factory: factory())
                return VAEStage(vae: vae, examples: pretraining, klWeight: 1e-4)
            }))
        }
        if let tokenizer {
            for (hidden, layers) in [(64, 3), (128, 4)] {
                rows.append(("clip", "hidden \(hidden), \(layers) layers", 64, {
                    let config = WorldModelPlan.clipConfig(hidden: hidden, layers: layers, heads: 4, patch: 8, projection: hidden)
                    return CLIPStage(clip: try CLIPModel(config, factory: factory()), tokenizer: tokenizer, examples: pretraining)
                }))
            }
        }
        for (channels, layers) in [([32, 64, 64], 1), ([64, 128, 128], 1), ([64, 128, 128], 2)] {
            rows.append(("unet", "\(channels), \(layers) layer\(layers > 1 ? "s" : "")", 32, {
                let config = try WorldModelPlan.unetConfig(channels: channels, crossAttentionDim: 64, heads: 4,
                                                           layersPerBlock: layers)
                return try UNetBenchStage(unet: UNet2DConditionModel(config, factory: factory()))
            }))
        }
        // The standard plan's UNet in NHWC (channels_last) against NCHW, at the batch sizes the plan weighs.
        for batch in [16, 8] {
            for channelsLast in [false, true] {
                rows.append(("unet", "standard, batch \(batch)\(channelsLast ? ", channels_last" : "")", batch, {
                    let unet = try UNet2DConditionModel(WorldModelPlan.standard().unet, factory: factory())
                    if channelsLast { try unet.useChannelsLast() }
                    return UNetBenchStage(unet: unet, channelsLast: channelsLast)
                }))
            }
        }
        for channels in [[16, 32, 48, 64], [32, 64, 96, 128]] {
            rows.append(("probe", "\(channels)", 32, {
                ProbeStage(probe: try AttributeProbe(AttributeProbeConfig(channels: channels), factory: factory()),
                           examples: probeExamples)
            }))
        }
        return rows
    }

    /// Seconds per step (mean of `steps` after one warm-up step), the batch rendered once beforehand.
    public static func time(_ stage: WorldStage, batch: Int, steps: Int) throws -> Double {
        let cached = try CachedBatch(stage, batch: batch)
        let parameters = stage.trainableParameters.map(\.tensor)
        for p in parameters { try p.setRequiresGrad(true) }
        let optimizer = try AdamW(parameters, lr: 1e-4)
        let generator = try Generator(seed: 0)
        var total = 0.0
        for i in 0...steps {
            let start = Date()
            try cached.loss(generator: generator).loss.backward()
            _ = try clipGradNorm(parameters, maxNorm: 1)
            try optimizer.step()
            try optimizer.zeroGrad()
            if i > 0 { total += Date().timeIntervalSince(start) }
        }
        return total / Double(steps)
    }

    /// Milliseconds to render one 64x64 example (with its label map and classes) into tensors.
    public static func renderMilliseconds(count: Int) throws -> Double {
        let examples = try RenderedExamples(kind: .probe, seed: 0)
        let start = Date()
        _ = try examples.batch(0..<count, labels: true)
        return Date().timeIntervalSince(start) * 1000 / Double(count)
    }
}

/// Renders the batch once (before timing), then computes the stage's loss on it at every step.
final class CachedBatch {
    let stage: WorldStage
    let batch: Int
    var rendered: RenderedBatch?
    init(_ stage: WorldStage, batch: Int) throws {
        self.stage = stage
        self.batch = batch
        if let unet = stage as? UNetBenchStage { unet.batch = batch }
        if let vae = stage as? VAEStage { rendered = try vae.examples.batch(0..<batch) }
        if let clip = stage as? CLIPStage { rendered = try clip.examples.batch(0..<batch) }
        if let probe = stage as? ProbeStage { rendered = try probe.examples.batch(0..<batch, labels: true) }
    }
    func loss(generator: Generator) throws -> StepLoss {
        if let vae = stage as? VAEStage, let b = rendered {
            let posterior = try vae.vae.encode(b.pixels)
            let reconstruction = try vae.vae.decode(posterior.sample(generator: generator))
            return StepLoss(loss: try (reconstruction - b.pixels).abs().mean() + reconstruction.mseLoss(b.pixels)
                + posterior.kl().mean() * vae.klWeight)
        }
        if let clip = stage as? CLIPStage, let b = rendered {
            let logits = try clip.logits(b)
            let diagonal = try Tensor((0..<batch).map(Int64.init), shape: [batch])
            return StepLoss(loss: try (crossEntropy(logits, diagonal) + crossEntropy(logits.transpose(0, 1), diagonal)) / 2)
        }
        if let probe = stage as? ProbeStage, let b = rendered {
            return StepLoss(loss: try probe.probe.loss(probe.probe(b.pixels), targets: b.classes, labels: b.labels!).total)
        }
        return try stage.loss(examples: 0..<batch, generator: generator)
    }
}

/// The UNet's denoising step on random latents and text states (the cost of `spf train`'s step without the
/// engine's data path): MSE of the noise prediction.
final class UNetBenchStage: WorldStage {
    let unet: UNet2DConditionModel
    var batch = 32
    let channelsLast: Bool
    var inputs: (Tensor, Tensor, Tensor, Tensor)?
    init(unet: UNet2DConditionModel, channelsLast: Bool = false) {
        self.unet = unet
        self.channelsLast = channelsLast
    }
    var name: String { "unet" }
    var trainableParameters: [(name: String, tensor: Tensor)] { unet.namedParameters() }
    func loss(examples indices: Range<Int>, generator: Generator) throws -> StepLoss {
        if inputs == nil {
            let g = try Generator(seed: 3)
            let cross = try unet.config.crossAttentionDim.values(count: 1, key: "cross_attention_dim")[0]
            inputs = (try Tensor.randn([batch, 4, 16, 16], generator: g), try Tensor.randn([batch, 4, 16, 16], generator: g),
                      try Tensor.randint(high: 1000, [batch], generator: g), try Tensor.randn([batch, 77, cross], generator: g))
        }
        var (x, noise, t, text) = inputs!
        if channelsLast { x = try x.channelsLast() }
        let prediction = try unet(sample: x, timestep: t, encoderHiddenStates: text).sample
        return StepLoss(loss: try prediction.mseLoss(noise))
    }
}

