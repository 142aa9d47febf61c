import Foundation
import SafeTensors
import Torch

/// Stage 2 from a finished stage-1 run (`init_from = RUN_DIR`): the trained tensors of the run's latest
/// complete checkpoint (`checkpoints/step-N/trainable.safetensors`, which `spf train` always writes at the end),
/// by the names the model holds them under. A naive stage 1 seeds a naive stage 2 (any trainable set: every
/// tensor stage 1 changed is swapped back for the reference path), a LoRA stage 1 a LoRA stage 2.
public struct SPFInitialization {
    public let run: RunFolder
    public let step: Int
    public let tensors: [String: Tensor]
    public let method: String

    public init(runPath: String) throws {
        run = RunFolder(path: runPath)
        guard let last = RunCheckpoint.completed(in: run).last else {
            throw ConfigError(field: "init_from", source: runPath, "holds no complete checkpoint of a stage-1 run")
        }
        step = last
        let file = run.file("checkpoints/\(RunCheckpoint.folderName(step: last))/trainable.safetensors")
        let header = try SafeTensorsFile(path: file)
        method = header.metadata["method"] ?? ""
        tensors = try SafeTensors.load(file)
    }

    /// Checks that the stage-1 run trained what stage 2 continues (LoRA into LoRA, UNet weights into UNet weights).
    public func check(lora: Bool) throws {
        // An SPF run continues too (`spf compare --run` maps a finished run this way): spf-lora holds adapters.
        let wasLoRA = method == "lora" || method == "spf-lora"
        guard wasLoRA == lora else {
            throw ConfigError(field: "init_from", source: run.path,
                              "the stage-1 run trained \(method.isEmpty ? "an unknown method" : method); stage 2 with "
                              + "spf.lora = \(lora) needs a \(lora ? "LoRA" : "naive") stage-1 run")
        }
    }

    /// Copies the stage-1 values into `parameters` (by name); every stored tensor must have a home.
    public func load(into parameters: [(name: String, tensor: Tensor)]) throws {
        let named = Dictionary(parameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        try Tensor.withNoGrad {
            for (name, value) in tensors {
                guard let tensor = named[name] else {
                    throw ConfigError(field: "init_from", source: run.path, "checkpoint tensor '\(name)' is not in the model")
                }
                guard tensor.shape == value.shape else {
                    throw ConfigError(field: "init_from", source: run.path,
                                      "checkpoint tensor '\(name)' has shape \(value.shape), the model \(tensor.shape)")
                }
                try tensor.copy_(value)
            }
        }
    }
}
