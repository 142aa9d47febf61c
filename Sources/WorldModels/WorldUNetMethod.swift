import Diffusion
import Foundation
import Torch
import Training

/// The UNet's pre-training objective in the engine's loop: the standard denoising loss on the full UNet,
/// with the caption replaced by the empty text with probability `captionDropout` (a draw per example from
/// the loop's generator), so that classifier-free guidance has an unconditional model to subtract.
/// (The engine's `StandardFineTuning` has no caption dropout; this is the only difference.) With `labelWeights`
/// each latent cell's error is weighed by the labels of the pixels it covers (the plan's `unet_label_weights`).
public final class WorldUNetMethod: TrainingMethod {
    public let models: TrainingModels
    public let objective: DiffusionObjective
    public let captionDropout: Double
    public let labelWeights: LatentLabelWeights?
    public let trainableParameters: [(name: String, tensor: Tensor)]
    public var name: String { "world-unet" }

    public init(models: TrainingModels, captionDropout: Double, snrGamma: Double? = nil, labelWeights: LatentLabelWeights? = nil) {
        self.models = models
        self.captionDropout = captionDropout
        self.labelWeights = labelWeights
        objective = DiffusionObjective(schedule: models.schedule, scalingFactor: models.vae.config.scalingFactor,
                                       snrGamma: snrGamma)
        trainableParameters = models.unet.namedParameters(in: .all)
    }

    public func texts(for record: CaptionRecord) -> [String] { [record.text, ""] }

    public func loss(_ batch: TrainingBatch, generator: Generator) throws -> StepLoss {
        let draw = try objective.draw(latentParameters: batch.latentParameters, generator: generator)
        var conditioning = try batch.conditioning { $0.text }
        if captionDropout > 0 {
            let empty = try batch.conditioning { _ in "" }
            let n = conditioning.shape[0]
            let drop = try Tensor.rand([n, 1, 1], generator: generator).lt(captionDropout)
            conditioning = try empty.where(drop, else: conditioning)
        }
        let prediction = try models.unet(sample: draw.noisyLatents, timestep: draw.timesteps,
                                         encoderHiddenStates: conditioning).sample
        let weights = try labelWeights?.weights(for: batch.records, height: draw.latents.shape[2], width: draw.latents.shape[3])
        let loss = try objective.loss(prediction: prediction, draw: draw, elementWeights: weights)
        return StepLoss(loss: loss, terms: ["loss_diffusion": loss])
    }

    public func export(to run: RunFolder) throws {
        try ModelFolderExport.write(unet: models.unet, models: models, to: run.modelPath)
    }
}
