import Foundation
import Torch

/// kohya-ss sd-scripts' LoRA layout (`networks/lora.py`), read by A1111, ComfyUI and kohya's own tools.
///
/// Each adapted layer is `<prefix>_<module path with '.' -> '_'>` with three entries: `.lora_down.weight` (A,
/// [rank, in] or [rank, in, 1, 1]), `.lora_up.weight` (B) and `.alpha` (a 0-dim tensor). The prefix is
/// `lora_unet` or `lora_te` (SD 1.x; SDXL's `lora_te1`/`lora_te2` are rejected). Module paths are diffusers'
/// (kohya trains SD 1.x on a diffusers-named UNet) and transformers' (`text_model.encoder.layers.0...`).
/// A missing alpha, or alpha 0, means alpha = rank (kohya's `LoRAModule`: "if alpha == 0 or None, alpha is rank").
enum KohyaLoRAFormat {
    static let unetPrefix = "lora_unet_"
    static let textEncoderPrefix = "lora_te_"
    static let downSuffix = "lora_down.weight"
    static let upSuffix = "lora_up.weight"
    static let alphaSuffix = "alpha"

    static func prefix(_ component: LoRAComponent) -> String {
        component == .unet ? unetPrefix : textEncoderPrefix
    }

    /// The kohya name of a layer: `lora_unet_down_blocks_0_..._to_q`.
    static func loraName(_ component: LoRAComponent, _ module: String) -> String {
        prefix(component) + module.replacingOccurrences(of: ".", with: "_")
    }

    // MARK: Reading

    static func decode(_ tensors: [String: Tensor], metadata: [String: String], models: LoRAModels,
                       file: String) throws -> LoRAWeights {
        if let version = metadata["ss_base_model_version"], version.hasPrefix("sdxl") {
            throw LoRAError(file: file, key: "ss_base_model_version",
                            "metadata says '\(version)': an SDXL LoRA; only SD 1.x LoRAs are supported")
        }
        if metadata["ss_v2"] == "True" {
            throw LoRAError(file: file, key: "ss_v2", "metadata says True: a LoRA for SD 2.x; only SD 1.x LoRAs are supported")
        }
        // Group the entries by layer name (everything before the first '.').
        var entries: [String: [String: (key: String, tensor: Tensor)]] = [:]
        for key in tensors.keys.sorted() {
            guard let dot = key.firstIndex(of: ".") else {
                throw LoRAError(file: file, key: key, "not a kohya LoRA entry (expected <name>.lora_down.weight, "
                    + "<name>.lora_up.weight or <name>.alpha)")
            }
            let name = String(key[..<dot])
            let suffix = String(key[key.index(after: dot)...])
            guard name.hasPrefix(unetPrefix) || name.hasPrefix(textEncoderPrefix) else {
                throw LoRAError(file: file, key: key, "not a kohya SD 1.x key (expected a 'lora_unet_' or 'lora_te_' name)")
            }
            guard [downSuffix, upSuffix, alphaSuffix].contains(suffix) else {
                throw LoRAError(file: file, key: key, unsupportedEntry(suffix))
            }
            entries[name, default: [:]][suffix] = (key, tensors[key]!)
        }

        var indexes: [LoRAComponent: LoRALayerIndex] = [:]
        var adapters: [LoRAAdapterWeights] = []
        for name in entries.keys.sorted() {
            let parts = entries[name]!
            guard let down = parts[downSuffix] else {
                let key = (parts[upSuffix] ?? parts[alphaSuffix])!.key
                throw LoRAError(file: file, key: key, "no matching '\(name).\(downSuffix)'")
            }
            guard let up = parts[upSuffix] else {
                throw LoRAError(file: file, key: down.key, "no matching '\(name).\(upSuffix)'")
            }
            let component: LoRAComponent = name.hasPrefix(unetPrefix) ? .unet : .textEncoder
            let flat = String(name.dropFirst(prefix(component).count))
            if indexes[component] == nil {
                guard let model = models.model(component) else {
                    throw LoRAError(file: file, key: down.key,
                                    "adapts the \(component.displayName), which was not given")
                }
                indexes[component] = LoRALayerIndex(model, component: component)
            }
            let index = indexes[component]!
            // transformers 5 names the text encoder's layers without `text_model.`; kohya files written there do too.
            guard let module = index.layer(flat: flat)
                ?? (component == .textEncoder ? index.layer(flat: "text_model_" + flat) : nil)
            else {
                throw LoRAError(file: file, key: down.key, unknownLayer(flat, component: component))
            }
            let rank = down.tensor.shape.first ?? 0
            var alpha = Double(rank)
            if let entry = parts[alphaSuffix] {
                guard entry.tensor.numel == 1, entry.tensor.ndim <= 1 else {
                    throw LoRAError(file: file, key: entry.key, "alpha must be a single number, got shape \(entry.tensor.shape)")
                }
                let value = try entry.tensor.item()
                guard value.isFinite, value >= 0 else {
                    throw LoRAError(file: file, key: entry.key, "alpha \(value) is not a finite non-negative number")
                }
                if value != 0 { alpha = value }
            }
            adapters.append(LoRAAdapterWeights(component: component, module: module, down: down.tensor, up: up.tensor,
                                               alpha: alpha, downKey: down.key, upKey: up.key))
        }
        return LoRAWeights(adapters: adapters, metadata: metadata, format: .kohya)
    }

    static func unsupportedEntry(_ suffix: String) -> String {
        if suffix == "dora_scale" { return "DoRA (dora_scale) is not supported" }
        if suffix.hasPrefix("hada_") { return "a LyCORIS LoHa entry (hada_*): only plain LoRA is supported" }
        if suffix.hasPrefix("lokr_") { return "a LyCORIS LoKr entry (lokr_*): only plain LoRA is supported" }
        if suffix.hasPrefix("lora_mid") { return "a LoCon Tucker entry (lora_mid): only plain LoRA is supported" }
        return "unsupported entry '.\(suffix)' (a kohya LoRA has .lora_down.weight, .lora_up.weight and .alpha)"
    }

    static func unknownLayer(_ flat: String, component: LoRAComponent) -> String {
        var reason = "the \(component.displayName) has no Linear or Conv2d layer whose kohya name is '\(flat)'"
        let sgm = ["input_blocks_", "middle_block_", "output_blocks_", "label_emb_", "time_embed_"]
        if component == .unet, sgm.contains(where: flat.hasPrefix) {
            reason += " (original/sgm UNet names, as SDXL LoRAs use; SD 1.x kohya LoRAs use diffusers names such as "
                + "down_blocks_0_attentions_0_...)"
        }
        return reason
    }

    // MARK: Writing

    static func encode(_ weights: LoRAWeights, info: LoRAFileInfo, file: String, dtype: DType?) throws
        -> ([String: Tensor], [String: String])
    {
        var tensors: [String: Tensor] = [:]
        for adapter in weights.adapters {
            let name = loraName(adapter.component, adapter.module)
            guard tensors[name + "." + downSuffix] == nil else {
                throw LoRAError(file: file, key: name, "two layers share this kohya name")
            }
            tensors[name + "." + downSuffix] = try dtype.map { try adapter.down.to($0) } ?? adapter.down
            tensors[name + "." + upSuffix] = try dtype.map { try adapter.up.to($0) } ?? adapter.up
            tensors[name + "." + alphaSuffix] = try Tensor.scalar(adapter.alpha, dtype: .float32)
        }
        return (tensors, metadata(weights, info: info, defaultName: LoRAWeights.stem(file)))
    }

    /// Keys computed from the adapters, never carried over from a file that was read.
    static let computedKeys: Set<String> = ["ss_network_module", "ss_network_dim", "ss_network_alpha", "ss_network_args",
                                            "ss_v2", "ss_base_model_version"]

    /// The metadata sd-scripts' train_network.py writes that readers use: the network module, dim and alpha
    /// (kohya's merge/resize tools), the base model version and ss_v2 (A1111 tells SD 1/2/XL LoRAs apart by
    /// them), the output name, comment and base model name (LoRA browsers), and a minimal modelspec. The other
    /// `ss_*` / `modelspec.*` entries of a kohya file that was read (training settings, tag frequencies) are kept,
    /// so that a conversion or re-save loses nothing; sd-scripts' precomputed `sshs_*` hashes are not (they are
    /// optional, and readers compute them when absent).
    static func metadata(_ weights: LoRAWeights, info: LoRAFileInfo, defaultName: String) -> [String: String] {
        let carried = weights.format == .kohya ? weights.metadata.filter { key, _ in
            (key.hasPrefix("ss_") || key.hasPrefix("modelspec.")) && !computedKeys.contains(key)
        } : [:]
        let name = info.outputName ?? carried["ss_output_name"] ?? defaultName
        var metadata: [String: String] = [
            "ss_network_module": "networks.lora",
            "ss_network_dim": String(LoRAWeights.mostCommon(weights.adapters.map(\.rank)) ?? 0),
            "ss_network_alpha": LoRAWeights.pythonFloat(LoRAWeights.mostCommon(weights.adapters.map(\.alpha)) ?? 0),
            "ss_v2": "False",
            "ss_base_model_version": "sd_v1",
            "ss_output_name": name,
            "modelspec.sai_model_spec": "1.0.1",
            "modelspec.architecture": "stable-diffusion-v1/lora",
            "modelspec.implementation": "diffusers",
            "modelspec.title": name,
        ]
        metadata.merge(carried) { _, carriedValue in carriedValue }
        if let name = info.outputName {
            metadata["ss_output_name"] = name
            metadata["modelspec.title"] = name
        }
        if let comment = info.trainingComment { metadata["ss_training_comment"] = comment }
        if let base = info.baseModelName { metadata["ss_sd_model_name"] = base }
        for (key, value) in info.extra { metadata[key] = value }
        return metadata
    }
}
