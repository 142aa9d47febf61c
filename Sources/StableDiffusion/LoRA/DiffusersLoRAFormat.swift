import Foundation
import Torch

/// The layout diffusers' `StableDiffusionPipeline.save_lora_weights` writes and `load_lora_weights` reads
/// (diffusers 0.42.1 with PEFT): `unet.<module>.lora_A.weight` (A) and `.lora_B.weight` (B), the same under
/// `text_encoder.` for the text encoder (`text_encoder.text_model.encoder...` as transformers 4 names it, or
/// without `text_model.` as transformers 5 does; both are read).
///
/// Alpha is not a tensor: diffusers keeps each model's PEFT `LoraConfig` as JSON in the safetensors metadata
/// key `lora_adapter_metadata`, keys prefixed by the model (`unet.r`, `unet.lora_alpha`, `unet.rank_pattern`,
/// `unet.alpha_pattern`, `text_encoder.r`, ...), and loads with `LoraConfig(**that)`, so a layer's scale is
/// alpha / r with `alpha_pattern` / `rank_pattern` overriding per layer (PEFT's `get_pattern_key`) and
/// LoraConfig's defaults r = 8, lora_alpha = 8 for absent fields. A file without that key means alpha = rank
/// (diffusers' `get_peft_kwargs` with no network alphas: scale 1), and so does a model the JSON says nothing
/// about (diffusers itself would build `LoraConfig()` with r = 8 there and fail on any other rank).
enum DiffusersLoRAFormat {
    static let metadataKey = "lora_adapter_metadata"
    static let downSuffix = ".lora_A.weight"
    static let upSuffix = ".lora_B.weight"
    typealias JSON = ModelIndex.Value

    /// The part of a PEFT LoraConfig that decides the scale.
    struct AdapterConfig {
        var r = 8
        var loraAlpha = 8.0
        var rankPattern: [String: Int] = [:]
        var alphaPattern: [String: Double] = [:]

        /// PEFT's get_pattern_key: the first pattern p with re.match(rf"(.*\.)?({p})$", name). Patterns are
        /// tried in sorted order, which is the file's order for JSON diffusers wrote (`sort_keys=True`).
        static func match(_ patterns: [String], _ names: [String]) -> String? {
            for pattern in patterns.sorted() {
                guard let regex = try? NSRegularExpression(pattern: "(.*\\.)?(\(pattern))$") else { continue }
                for name in names {
                    let range = NSRange(name.startIndex..., in: name)
                    if let found = regex.firstMatch(in: name, options: [.anchored], range: range), found.range == range {
                        return pattern
                    }
                }
            }
            return nil
        }

        func rank(for names: [String]) -> Int { Self.match(Array(rankPattern.keys), names).flatMap { rankPattern[$0] } ?? r }
        func alpha(for names: [String]) -> Double {
            Self.match(Array(alphaPattern.keys), names).flatMap { alphaPattern[$0] } ?? loraAlpha
        }
    }

    /// The names PEFT may see for a layer: the text encoder's with and without `text_model.`.
    static func peftNames(_ component: LoRAComponent, _ module: String) -> [String] {
        guard component == .textEncoder, module.hasPrefix("text_model.") else { return [module] }
        return [module, String(module.dropFirst("text_model.".count))]
    }

    // MARK: Reading

    static func decode(_ tensors: [String: Tensor], metadata: [String: String], file: String) throws -> LoRAWeights {
        let configs = try adapterConfigs(metadata, file: file)
        struct Pair { var down: (key: String, tensor: Tensor)?; var up: (key: String, tensor: Tensor)? }
        var pairs: [String: (component: LoRAComponent, module: String, pair: Pair)] = [:]
        for key in tensors.keys.sorted() {
            let component: LoRAComponent
            if key.hasPrefix("unet.") {
                component = .unet
            } else if key.hasPrefix("text_encoder.") {
                component = .textEncoder
            } else {
                throw LoRAError(file: file, key: key, "not a diffusers LoRA key (expected 'unet.' or 'text_encoder.')")
            }
            let rest = String(key.dropFirst(component.rawValue.count + 1))
            let isDown = rest.hasSuffix(downSuffix)
            guard isDown || rest.hasSuffix(upSuffix) else { throw LoRAError(file: file, key: key, unsupportedEntry(rest)) }
            var module = String(rest.dropLast(downSuffix.count))
            if component == .textEncoder, !module.hasPrefix("text_model.") { module = "text_model." + module }
            let id = component.rawValue + "." + module
            var entry = pairs[id] ?? (component, module, Pair())
            if isDown { entry.pair.down = (key, tensors[key]!) } else { entry.pair.up = (key, tensors[key]!) }
            pairs[id] = entry
        }
        var adapters: [LoRAAdapterWeights] = []
        for id in pairs.keys.sorted() {
            let (component, module, pair) = pairs[id]!
            guard let down = pair.down else {
                throw LoRAError(file: file, key: pair.up!.key, "no matching lora_A.weight")
            }
            guard let up = pair.up else { throw LoRAError(file: file, key: down.key, "no matching lora_B.weight") }
            let rank = down.tensor.shape.first ?? 0
            var alpha = Double(rank)
            if let config = configs[component] {
                let names = peftNames(component, module)
                let expected = config.rank(for: names)
                guard expected == rank else {
                    throw LoRAError(file: file, key: down.key, "rank \(rank) differs from r = \(expected) that "
                        + "\(metadataKey) gives this layer (diffusers could not load it either)")
                }
                alpha = config.alpha(for: names)
            }
            adapters.append(LoRAAdapterWeights(component: component, module: module, down: down.tensor, up: up.tensor,
                                               alpha: alpha, downKey: down.key, upKey: up.key))
        }
        return LoRAWeights(adapters: adapters, metadata: metadata, format: .diffusers)
    }

    static func unsupportedEntry(_ rest: String) -> String {
        if rest.hasSuffix(".lora_magnitude_vector") || rest.contains("lora_magnitude_vector") {
            return "DoRA (lora_magnitude_vector) is not supported"
        }
        if rest.hasSuffix(".lora_B.bias") { return "LoRA with a bias on B (lora_bias) is not supported" }
        if rest.contains(".lora.down.") || rest.contains(".lora.up.") || rest.contains("lora_linear_layer")
            || rest.contains("_lora.down.") || rest.contains("_lora.up.") {
            return "an old diffusers attention-processor LoRA layout; load and re-save it with a current diffusers "
                + "(save_lora_weights) to get lora_A/lora_B keys"
        }
        if rest.contains("lokr_") { return "a LoKr entry: only plain LoRA is supported" }
        return "not a diffusers/PEFT LoRA entry (expected <module>.lora_A.weight or <module>.lora_B.weight)"
    }

    /// The LoraConfig of each model the `lora_adapter_metadata` JSON describes.
    static func adapterConfigs(_ metadata: [String: String], file: String) throws -> [LoRAComponent: AdapterConfig] {
        guard let raw = metadata[metadataKey] else { return [:] }
        let fields: [String: JSON]
        do {
            fields = try JSONDecoder().decode([String: JSON].self, from: Data(raw.utf8))
        } catch {
            throw LoRAError(file: file, key: metadataKey, "metadata is not a JSON object (\(error))")
        }
        func number(_ value: JSON, _ key: String) throws -> Double {
            switch value {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            default: throw LoRAError(file: file, key: metadataKey, "'\(key)' is not a number")
            }
        }
        func flag(_ value: JSON?) -> Bool { if case .bool(true)? = value { return true } else { return false } }
        var configs: [LoRAComponent: AdapterConfig] = [:]
        for component in LoRAComponent.allCases {
            let prefix = component.rawValue + "."
            let own = Dictionary(uniqueKeysWithValues: fields.compactMap { key, value in
                key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), value) : nil
            })
            guard !own.isEmpty else { continue }
            if flag(own["use_rslora"]) {
                throw LoRAError(file: file, key: metadataKey,
                                "'\(prefix)use_rslora' is true (scale alpha / sqrt(r)): not supported")
            }
            if flag(own["use_dora"]) {
                throw LoRAError(file: file, key: metadataKey, "'\(prefix)use_dora' is true: DoRA is not supported")
            }
            var config = AdapterConfig()
            if let value = own["r"] {
                let r = try number(value, prefix + "r")
                guard r == r.rounded(), r >= 1 else {
                    throw LoRAError(file: file, key: metadataKey, "'\(prefix)r' = \(r) is not a positive integer")
                }
                config.r = Int(r)
            }
            if let value = own["lora_alpha"] { config.loraAlpha = try number(value, prefix + "lora_alpha") }
            if case .object(let patterns)? = own["rank_pattern"] {
                for (pattern, value) in patterns { config.rankPattern[pattern] = Int(try number(value, prefix + "rank_pattern")) }
            }
            if case .object(let patterns)? = own["alpha_pattern"] {
                for (pattern, value) in patterns { config.alphaPattern[pattern] = try number(value, prefix + "alpha_pattern") }
            }
            configs[component] = config
        }
        return configs
    }

    // MARK: Writing

    static func encode(_ weights: LoRAWeights, info: LoRAFileInfo, dtype: DType?) throws
        -> ([String: Tensor], [String: String])
    {
        var tensors: [String: Tensor] = [:]
        var fields: [String: JSON] = [:]
        for component in LoRAComponent.allCases {
            let adapters = weights.adapters.filter { $0.component == component }
            guard !adapters.isEmpty else { continue }
            for adapter in adapters {
                let base = component.rawValue + "." + adapter.module
                tensors[base + downSuffix] = try dtype.map { try adapter.down.to($0) } ?? adapter.down
                tensors[base + upSuffix] = try dtype.map { try adapter.up.to($0) } ?? adapter.up
            }
            // The names PEFT matches: the UNet's in full (anchored), the text encoder's without `text_model.` so
            // that they match transformers 4's `text_model.encoder...` and transformers 5's `encoder...` alike.
            func peftName(_ module: String) -> String {
                component == .unet || !module.hasPrefix("text_model.") ? module : String(module.dropFirst("text_model.".count))
            }
            func pattern(_ module: String) -> String { component == .unet ? "^" + module : peftName(module) }
            let r = LoRAWeights.mostCommon(adapters.map(\.rank))!
            let alpha = LoRAWeights.mostCommon(adapters.map(\.alpha))!
            var rankPattern: [String: JSON] = [:]
            var alphaPattern: [String: JSON] = [:]
            for adapter in adapters {
                if adapter.rank != r { rankPattern[pattern(adapter.module)] = .integer(adapter.rank) }
                if adapter.alpha != alpha { alphaPattern[pattern(adapter.module)] = jsonNumber(adapter.alpha) }
            }
            let prefix = component.rawValue + "."
            fields[prefix + "r"] = .integer(r)
            fields[prefix + "lora_alpha"] = jsonNumber(alpha)
            fields[prefix + "rank_pattern"] = .object(rankPattern)
            fields[prefix + "alpha_pattern"] = .object(alphaPattern)
            fields[prefix + "target_modules"] = .array(adapters.map { .string(peftName($0.module)) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(fields), as: UTF8.self)
        var metadata = ["format": "pt", metadataKey: json]
        for (key, value) in info.extra { metadata[key] = value }
        return (tensors, metadata)
    }

    static func jsonNumber(_ value: Double) -> JSON {
        value == value.rounded() && abs(value) < 1e15 ? .integer(Int(value)) : .number(value)
    }
}
