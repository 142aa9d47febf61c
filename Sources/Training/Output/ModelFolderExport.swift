import Diffusion
import Foundation
import SafeTensors
import StableDiffusion
import Torch

/// Writes a fine-tuned UNet as a complete diffusers folder that diffusers' StableDiffusionPipeline loads:
/// the trained UNet's weights and config, every other part taken unchanged from the source model (files
/// hard-linked where the file system allows, else copied), model_index.json last. The folder is built under
/// a temporary name and renamed into place, so it exists whole or not at all.
public enum ModelFolderExport {
    /// Checks before training that the export can be made (a single-file source needs a tokenizer folder).
    public static func check(_ config: TrainingConfig) throws {
        guard !config.trainsLoRA else { return }
        if !isFolder(config.model) {
            guard let tokenizer = config.tokenizer, isFolder(tokenizer) else {
                throw ConfigError(field: "tokenizer", "a single-file model is exported as a diffusers folder, which "
                                  + "needs a tokenizer folder (vocab.json + merges.txt) to copy")
            }
        }
    }

    public static func write(unet: UNet2DConditionModel, models: TrainingModels, to path: String) throws {
        let manager = FileManager.default
        let temporary = path + ".tmp"
        try? manager.removeItem(atPath: temporary)
        do {
            let weights = unet.stateDict().filter { !$0.key.contains(".lora.") }
            if isFolder(models.modelPath) {
                try copyFolder(models.modelPath, to: temporary, excludingUNetWeights: true)
                let writer = try DiffusersFolderWriter(path: temporary)
                try writer.writeModel(weights, component: .unet)
                // model_index.json last: copied from the source after everything else.
                let index = (models.modelPath as NSString).appendingPathComponent("model_index.json")
                try manager.copyItem(atPath: index, toPath: (temporary as NSString).appendingPathComponent("model_index.json"))
            } else {
                try SingleFileConversion.convert(checkpoint: models.modelPath, tokenizerFolder: models.tokenizerPath ?? "",
                                                 to: temporary)
                try DiffusersFolderWriter(path: temporary).writeModel(weights, component: .unet)
            }
            if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
            try manager.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw TrainingError("\(path): could not write the model folder: \(error)")
        }
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Mirrors `source` into `target` (hard links, else copies), leaving out model_index.json (written last)
    /// and the UNet's weight files (replaced by the trained ones).
    static func copyFolder(_ source: String, to target: String, excludingUNetWeights: Bool) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
        guard let walker = manager.enumerator(atPath: source) else { throw TrainingError("\(source): cannot list") }
        while let relative = walker.nextObject() as? String {
            let from = (source as NSString).appendingPathComponent(relative)
            let to = (target as NSString).appendingPathComponent(relative)
            if relative == "model_index.json" { continue }
            if excludingUNetWeights, relative.hasPrefix("unet/"),
               relative.hasSuffix(".safetensors") || relative.hasSuffix(".bin") || relative.hasSuffix(".index.json") {
                continue
            }
            if isFolder(from) {
                try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
            } else if (try? manager.linkItem(atPath: from, toPath: to)) == nil {
                try manager.copyItem(atPath: from, toPath: to)
            }
        }
    }
}
