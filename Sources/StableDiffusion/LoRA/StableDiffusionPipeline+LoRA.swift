import NN
import Torch

extension StableDiffusionPipeline {
    /// The pipeline's UNet and text encoder, where LoRA adapters go.
    public var loraModels: LoRAModels { LoRAModels(unet: unet, textEncoder: textEncoder) }

    /// Reads a LoRA file (kohya or diffusers format, told apart by its keys) and adds its adapters to the UNet
    /// and text encoder at `scale` (diffusers' lora_scale, `cross_attention_kwargs={"scale": s}`, which also
    /// scales the text encoder's adapters): each adapted layer then computes base + scale * (alpha / rank) *
    /// B(A(x)). Errors name the file and key; nothing changes unless the whole file fits. Returns what was read.
    @discardableResult
    public func loadLoRA(_ path: String, scale: Double = 1) throws -> LoRAWeights {
        let weights = try LoRAWeights.read(path, models: loraModels)
        try weights.apply(to: loraModels, strength: scale, file: path)
        return weights
    }

    /// Removes every adapter from the UNet and text encoder.
    public func removeLoRA() {
        unet.removeLoRA()
        textEncoder.removeLoRA()
    }

    /// Writes the adapters the UNet and text encoder carry (trained, or loaded) as a LoRA file in `format`.
    public func saveLoRA(to path: String, format: LoRAFormat, info: LoRAFileInfo = LoRAFileInfo(),
                         dtype: DType? = nil) throws {
        try LoRAWeights.extract(from: loraModels).write(to: path, format: format, info: info, dtype: dtype)
    }
}
