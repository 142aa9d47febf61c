import Diffusion
import Foundation
import NN
import Torch

/// Naive fine-tuning (the whole UNet or its cross-attention layers) and LoRA: the denoising objective on the
/// full text, differing only in what trains. SPF-Portrait's stage 1 and the paper's two baselines.
public final class StandardFineTuning: TrainingMethod {
    public let models: TrainingModels
    public let objective: DiffusionObjective
    public let config: TrainingConfig
    public let trainableParameters: [(name: String, tensor: Tensor)]

    public var name: String { config.trainsLoRA ? "lora" : "naive-\(config.trainable.rawValue)" }

    /// Selects (or, for LoRA, injects) the trainable tensors. LoRA adapters start from the run's seed.
    public init(models: TrainingModels, config: TrainingConfig) throws {
        self.models = models
        self.config = config
        objective = DiffusionObjective(schedule: models.schedule, scalingFactor: models.vae.config.scalingFactor,
                                       noiseOffset: config.noiseOffset, snrGamma: config.snrGamma)
        let unet = models.unet
        unet.gradientCheckpointing = config.gradientCheckpointing
        if !config.trainsLoRA {
            let group: UNetParameterGroup = config.trainable == .all ? .all : .crossAttention
            trainableParameters = unet.namedParameters(in: group)
        } else {
            let lora = LoRAConfiguration(rank: config.lora.rank, alpha: config.lora.alpha, targets: config.lora.targets)
            let injected = try unet.injectLoRA(lora, factory: ParameterFactory(generator: Generator(seed: config.seed &+ 2)))
            guard !injected.isEmpty else {
                throw ConfigError(field: "lora.targets", "no UNet layer matches \(config.lora.targets)")
            }
            trainableParameters = unet.namedParameters().filter { $0.name.contains(".lora.") }
        }
    }

    public func loss(_ batch: TrainingBatch, generator: Generator) throws -> StepLoss {
        let draw = try objective.draw(latentParameters: batch.latentParameters, generator: generator)
        let conditioning = try batch.conditioning { $0.text }
        let prediction = try MixedPrecisionRegion(config.mixedPrecision).run {
            try models.unet(sample: draw.noisyLatents, timestep: draw.timesteps, encoderHiddenStates: conditioning).sample
        }
        let loss = try objective.loss(prediction: prediction, draw: draw)
        return StepLoss(loss: loss, terms: ["loss_diffusion": loss])
    }

    public func export(to run: RunFolder) throws {
        if config.trainsLoRA {
            try LoRAExport.write(unet: models.unet, config: config, to: run)
        } else {
            try ModelFolderExport.write(unet: models.unet, models: models, to: run.modelPath)
        }
    }
}

extension TrainingConfig {
    /// LoRA adapters train (method "lora", or "spf" with spf.lora) rather than UNet weights.
    public var trainsLoRA: Bool { method == .lora || (method == .spf && spf.lora) }
}
