import Diffusion
import Foundation
import SafeTensors
import Torch

/// Writes trained LoRA adapters (replaced by the shared LoRA file formats once they land).
public enum LoRAExport {
    public static func write(unet: UNet2DConditionModel, config: TrainingConfig, to run: RunFolder) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in unet.namedParameters() where name.contains(".lora.") {
            tensors["unet." + name.replacingOccurrences(of: ".lora.lora_", with: ".lora_")] = tensor
        }
        try SafeTensors.save(tensors, metadata: ["format": "pt"], to: run.file("pytorch_lora_weights.safetensors"))
    }
}
