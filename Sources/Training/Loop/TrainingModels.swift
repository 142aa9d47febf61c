import CLIP
import Diffusion
import Foundation
import Schedulers
import StableDiffusion
import Tokenizers
import Torch

/// The model a run starts from, loaded once: the pipeline's parts plus the training-side noise schedule.
public final class TrainingModels {
    public let pipeline: StableDiffusionPipeline
    public let schedule: DDPMSchedule
    /// Where the model came from (`--model`, `--tokenizer`), for exporting a complete folder.
    public let modelPath: String
    public let tokenizerPath: String?

    public var unet: UNet2DConditionModel { pipeline.unet }
    public var vae: AutoencoderKL { pipeline.vae }
    public var textEncoder: CLIPTextModel { pipeline.textEncoder }
    public var tokenizer: CLIPTokenizer { pipeline.tokenizer }

    public init(pipeline: StableDiffusionPipeline, modelPath: String, tokenizerPath: String?) throws {
        self.pipeline = pipeline
        self.modelPath = modelPath
        self.tokenizerPath = tokenizerPath
        schedule = try DDPMSchedule(config: pipeline.schedulerConfig)
        // Frozen unless a method says otherwise.
        try pipeline.unet.setRequiresGrad(false)
        try pipeline.vae.setRequiresGrad(false)
        try pipeline.textEncoder.setRequiresGrad(false)
    }

    public static func load(_ config: TrainingConfig) throws -> TrainingModels {
        let pipeline = try StableDiffusionPipeline.load(model: config.model, tokenizer: config.tokenizer)
        return try TrainingModels(pipeline: pipeline, modelPath: config.model, tokenizerPath: config.tokenizer)
    }

    /// The text-encoder input for a text: CLIP ids padded to the model's length, [1, 77].
    public func tokenIDs(_ text: String) -> [Int] {
        tokenizer(text, maxLength: tokenizer.modelMaxLength ?? 77)
    }
}
