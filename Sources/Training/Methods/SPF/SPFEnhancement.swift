import CLIP
import Diffusion
import Foundation
import NN
import SafeTensors
import Schedulers
import Tokenizers
import Torch

/// L_enh, response enhancement through CLIP space (docs/method.md), with a frozen transformers CLIPModel:
/// the one-step prediction zhat_0 of the response path, decoded by the VAE (gradients flow through the decoder
/// into the UNet), CLIP-preprocessed (differentiable resize) and embedded with the image tower + projection.
///   difference:  1 - cos(f_I(xhat_0) - g_T(T), f_I(x_0) - g_T(T))
///   directional: 1 - cos(f_I(xhat_0) - f_I(xhat_0^ref), g_T(F) - g_T(B))
///   direct:      1 - cos(f_I(xhat_0), g_T(T))
/// x_0 is the VAE decoding of the step's clean latents z_0 (no pixels are kept per step) [ours]. Only samples with
/// t <= enhance_t_max count; L_enh is the mean over them (0 when none).
public final class SPFEnhancement {
    public let clip: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let preprocessing: CLIPImagePreprocessing
    public let mode: EnhanceMode
    public let maxTimestep: Int
    private var textFeatures: [String: Tensor] = [:]

    public init(clip: CLIPModel, tokenizer: CLIPTokenizer, mode: EnhanceMode, maxTimestep: Int) throws {
        self.clip = clip
        self.tokenizer = tokenizer
        preprocessing = CLIPImagePreprocessing(clip.config.visionConfig)
        self.mode = mode
        self.maxTimestep = maxTimestep
        try clip.setRequiresGrad(false)
    }

    /// A transformers CLIPModel folder: config.json, model.safetensors, vocab.json + merges.txt (or tokenizer.json).
    public static func load(folder: String, mode: EnhanceMode, maxTimestep: Int, device: Device) throws -> SPFEnhancement {
        let clip = try CLIPModel.load(folder: folder, device: device)
        return try SPFEnhancement(clip: clip, tokenizer: CLIPTokenizer(directory: folder), mode: mode, maxTimestep: maxTimestep)
    }

    /// g_T(text): projected, not normalised; memoised (the text tower is frozen).
    public func textFeature(_ text: String, device: Device) throws -> Tensor {
        if let cached = textFeatures[text] { return cached }
        let length = clip.config.textConfig.maxPositionEmbeddings
        let ids = tokenizer(text, maxLength: length)
        let feature = try Tensor.withNoGrad {
            try clip.textFeatures(Tensor(ids.map(Int64.init), shape: [1, ids.count], device: device)).select(dim: 0, index: 0)
        }
        textFeatures[text] = feature
        return feature
    }

    /// f_I of VAE-decoded latents (unscaled by `scalingFactor` here), [b, projection_dim].
    func imageFeatures(latents: Tensor, vae: AutoencoderKL, scalingFactor: Double) throws -> Tensor {
        let images = try vae.decode(latents / scalingFactor)
        let unit = try (images.to(.float32) / 2 + 0.5).clamp(min: 0, max: 1)
        return try clip.imageFeatures(preprocessing(unit))
    }

    /// The predicted clean latents of a model output at the draw's timesteps.
    static func predictedOriginal(_ prediction: Tensor, noisy: Tensor, timesteps: Tensor,
                                  schedule: DDPMSchedule) throws -> Tensor {
        let abar = try schedule.alphasCumprod.to(noisy.device).indexSelect(dim: 0, index: timesteps.to(.int64))
            .to(.float32).reshape([noisy.shape[0], 1, 1, 1])
        let (a, s) = (try abar.sqrt(), try (1 - abar).sqrt())
        let x = try noisy.to(.float32), p = try prediction.to(.float32)
        switch schedule.config.predictionType {
        case .epsilon: return try (x - s * p) / a
        case .vPrediction: return try a * x - s * p
        case .sample: return p
        }
    }

    public func loss(draw: DiffusionObjective.Draw, response: Tensor, reference: Tensor, records: [CaptionRecord],
                     schedule: DDPMSchedule, vae: AutoencoderKL, scalingFactor: Double) throws -> Tensor {
        let steps = try draw.timesteps.to(.int64).toArray(Int64.self)
        let gated = steps.indices.filter { steps[$0] <= Int64(maxTimestep) }
        let device = response.device
        guard !gated.isEmpty else { return try Tensor.zeros([], device: device) }
        let index = try Tensor(gated.map(Int64.init), shape: [gated.count], device: device)
        func pick(_ t: Tensor) throws -> Tensor { try t.indexSelect(dim: 0, index: index) }
        let zhat = try Self.predictedOriginal(pick(response), noisy: pick(draw.noisyLatents),
                                              timesteps: pick(draw.timesteps), schedule: schedule)
        let predicted = try imageFeatures(latents: zhat, vae: vae, scalingFactor: scalingFactor)
        var losses: [Tensor] = []
        for (row, b) in gated.enumerated() {
            guard let caption = records[b].portrait else {
                throw TrainingError("SPF: record at line \(records[b].line) has no base/target split")
            }
            let f = try predicted.narrow(dim: 0, start: row, length: 1).reshape([-1])
            let (prediction, goal): (Tensor, Tensor)
            switch mode {
            case .difference:
                let target = try textFeature(caption.target, device: device)
                let original = try Tensor.withNoGrad {
                    try imageFeatures(latents: draw.latents.narrow(dim: 0, start: b, length: 1).to(.float32), vae: vae,
                                      scalingFactor: scalingFactor).reshape([-1])
                }
                (prediction, goal) = (try f - target, try original - target)
            case .directional:
                let referenceFeature = try Tensor.withNoGrad {
                    let z0 = try Self.predictedOriginal(reference.narrow(dim: 0, start: b, length: 1),
                                                        noisy: draw.noisyLatents.narrow(dim: 0, start: b, length: 1),
                                                        timesteps: draw.timesteps.narrow(dim: 0, start: b, length: 1),
                                                        schedule: schedule)
                    return try imageFeatures(latents: z0, vae: vae, scalingFactor: scalingFactor).reshape([-1])
                }
                (prediction, goal) = (try f - referenceFeature,
                                      try textFeature(caption.fullText, device: device) - textFeature(caption.base, device: device))
            case .direct:
                (prediction, goal) = (f, try textFeature(caption.target, device: device))
            }
            losses.append(try 1 - Self.cosine(prediction, goal))
        }
        return try Tensor.stack(losses).mean()
    }

    /// cos(a, b) = a.b / (|a| |b|), with 1e-8 guarding a zero vector.
    static func cosine(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try (a * b).sum() / ((a.square().sum() * b.square().sum()).sqrt() + 1e-8)
    }
}
