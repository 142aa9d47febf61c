import Diffusion
import Foundation
import StableDiffusion
import Torch

/// Writes trained LoRA adapters in both formats the ecosystem loads: `RUN_DIR/lora/pytorch_lora_weights.safetensors`
/// (diffusers / PEFT: `pipeline.load_lora_weights(RUN_DIR/lora)`) and `RUN_DIR/lora/<run name>_kohya.safetensors`
/// (kohya names with `ss_*` metadata, for A1111 and ComfyUI). `spf generate --lora` reads either.
public enum LoRAExport {
    public static let diffusersFileName = "pytorch_lora_weights.safetensors"

    public static func folder(_ run: RunFolder) -> String { run.file("lora") }

    public static func kohyaFileName(_ run: RunFolder) -> String {
        ((run.path as NSString).lastPathComponent.isEmpty ? "lora" : (run.path as NSString).lastPathComponent) + "_kohya.safetensors"
    }

    public static func write(unet: UNet2DConditionModel, config: TrainingConfig, to run: RunFolder) throws {
        let weights = LoRAWeights.extract(from: LoRAModels(unet: unet, textEncoder: nil))
        let folder = folder(run)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let name = (run.path as NSString).lastPathComponent
        let info = LoRAFileInfo(outputName: name,
                                trainingComment: "spf train: \(config.steps) steps, lr \(config.learningRate), rank "
                                    + "\(config.lora.rank), alpha \(config.lora.alpha)",
                                baseModelName: (config.model as NSString).lastPathComponent)
        try weights.write(to: (folder as NSString).appendingPathComponent(diffusersFileName), format: .diffusers, info: info)
        try weights.write(to: (folder as NSString).appendingPathComponent(kohyaFileName(run)), format: .kohya, info: info)
    }
}
