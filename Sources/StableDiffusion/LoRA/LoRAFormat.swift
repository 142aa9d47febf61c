import Foundation
import SafeTensors
import Torch

/// The two LoRA file layouts for SD 1.x that the ecosystem loads.
public enum LoRAFormat: String, CaseIterable, Sendable {
    /// kohya-ss sd-scripts' `networks.lora`, which A1111, ComfyUI and kohya's tools read:
    /// `lora_unet_<module with '.' -> '_'>.lora_down.weight` / `.lora_up.weight` / `.alpha`, `lora_te_...`,
    /// and `ss_*` metadata (`KohyaLoRAFormat`).
    case kohya
    /// What diffusers' `save_lora_weights` writes and `load_lora_weights` reads (PEFT names):
    /// `unet.<module>.lora_A.weight` / `.lora_B.weight`, `text_encoder.<module>...`, alpha in the
    /// `lora_adapter_metadata` JSON (`DiffusersLoRAFormat`).
    case diffusers

    /// The format of a file from its keys (every key must then fit it; the format's reader names any that does
    /// not). SDXL files and unknown layouts are errors that name the key.
    public static func detect(keys: [String], file: String) throws -> LoRAFormat {
        guard let first = keys.sorted().first else { throw LoRAError(file: file, "holds no tensors") }
        for key in keys.sorted() {
            if key.hasPrefix("lora_te1_") || key.hasPrefix("lora_te2_") || key.hasPrefix("text_encoder_2.") {
                throw LoRAError(file: file, key: key, "an SDXL LoRA (two text encoders); only SD 1.x LoRAs are supported")
            }
        }
        for key in keys.sorted() {
            if key.hasPrefix("lora_unet_") || key.hasPrefix("lora_te_") { return .kohya }
            if key.hasPrefix("unet.") || key.hasPrefix("text_encoder.") { return .diffusers }
        }
        throw LoRAError(file: file, key: first, "not a LoRA key of a known layout: kohya keys start with 'lora_unet_' "
            + "or 'lora_te_', diffusers keys with 'unet.' or 'text_encoder.'")
    }
}

/// Descriptive metadata for a written file. kohya files carry it as `ss_*` keys (and a few `modelspec.*`), which
/// A1111's and ComfyUI's LoRA browsers show; diffusers files only `extra`.
public struct LoRAFileInfo: Sendable {
    /// `ss_output_name` / `modelspec.title` (default: the file name without extension).
    public var outputName: String?
    /// `ss_training_comment`.
    public var trainingComment: String?
    /// `ss_sd_model_name`: the base model trained on.
    public var baseModelName: String?
    /// Further metadata written as given (it overrides the generated keys).
    public var extra: [String: String]

    public init(outputName: String? = nil, trainingComment: String? = nil, baseModelName: String? = nil,
                extra: [String: String] = [:]) {
        self.outputName = outputName
        self.trainingComment = trainingComment
        self.baseModelName = baseModelName
        self.extra = extra
    }
}

extension LoRAWeights {
    /// Reads a LoRA file of either format (told apart by its keys). kohya names are resolved through the
    /// models' own layer names, and every adapter is checked against the layer it names (`validate`).
    public static func read(_ path: String, models: LoRAModels) throws -> LoRAWeights {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: path)
        } catch let error as SafeTensorsError {
            throw LoRAError(file: path, key: error.tensor, error.reason)
        }
        let tensors: [String: Tensor]
        do {
            tensors = try file.tensors()
        } catch let error as SafeTensorsError {
            throw LoRAError(file: path, key: error.tensor, error.reason)
        }
        let weights: LoRAWeights
        switch try LoRAFormat.detect(keys: file.names, file: path) {
        case .kohya:
            weights = try KohyaLoRAFormat.decode(tensors, metadata: file.metadata, models: models, file: path)
        case .diffusers:
            weights = try DiffusersLoRAFormat.decode(tensors, metadata: file.metadata, file: path)
        }
        try weights.validate(against: models, file: path)
        return weights
    }

    /// Writes the adapters in `format`, atomically (a temporary sibling renamed into place), A and B cast to
    /// `dtype` when given (alpha stays float32).
    public func write(to path: String, format: LoRAFormat, info: LoRAFileInfo = LoRAFileInfo(), dtype: DType? = nil) throws {
        guard !adapters.isEmpty else { throw LoRAError(file: path, "no adapters to write") }
        if let dtype, !dtype.isFloatingPoint {
            throw LoRAError(file: path, "cannot write LoRA weights as \(dtype): not a floating-point type")
        }
        let (tensors, metadata): ([String: Tensor], [String: String])
        switch format {
        case .kohya:
            (tensors, metadata) = try KohyaLoRAFormat.encode(self, info: info, file: path, dtype: dtype)
        case .diffusers:
            (tensors, metadata) = try DiffusersLoRAFormat.encode(self, info: info, dtype: dtype)
        }
        do {
            try SafeTensors.save(tensors, metadata: metadata, to: path)
        } catch let error as SafeTensorsError {
            throw LoRAError(file: path, key: error.tensor, error.reason)
        }
    }

    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// The value most adapters share (ties: the smallest), as PEFT's `r`/`lora_alpha` and kohya's
    /// `ss_network_dim`/`ss_network_alpha` summarize per-layer values.
    static func mostCommon<T: Hashable & Comparable>(_ values: [T]) -> T? {
        var counts: [T: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }

    /// Python's `str(float)` for the values we write (`8.0`, `0.5`, `1e-05`).
    static func pythonFloat(_ value: Double) -> String {
        "\(value)"
    }
}
