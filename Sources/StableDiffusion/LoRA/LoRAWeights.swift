import NN
import Torch

/// The model of an SD 1.x pipeline an adapter belongs to.
public enum LoRAComponent: String, CaseIterable, Comparable, Sendable {
    case unet
    case textEncoder = "text_encoder"

    public static func < (a: LoRAComponent, b: LoRAComponent) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// For messages: "UNet", "text encoder".
    public var displayName: String { self == .unet ? "UNet" : "text encoder" }
}

/// One adapter as a file holds it: the layer it adapts (our dotted module name, which is diffusers' /
/// transformers', e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q` or
/// `text_model.encoder.layers.0.self_attn.q_proj`), A ("down"), B ("up") and alpha.
public struct LoRAAdapterWeights {
    public var component: LoRAComponent
    public var module: String
    /// A: [rank, in] (or [rank, in, 1, 1] on a 1x1 convolution).
    public var down: Tensor
    /// B: [out, rank] (or [out, rank, 1, 1]).
    public var up: Tensor
    public var alpha: Double
    /// The keys A and B had in the file they were read from (for messages); empty for extracted adapters.
    public var downKey: String
    public var upKey: String

    public init(component: LoRAComponent, module: String, down: Tensor, up: Tensor, alpha: Double,
                downKey: String = "", upKey: String = "") {
        self.component = component
        self.module = module
        self.down = down
        self.up = up
        self.alpha = alpha
        self.downKey = downKey.isEmpty ? "\(component.rawValue).\(module).lora_A.weight" : downKey
        self.upKey = upKey.isEmpty ? "\(component.rawValue).\(module).lora_B.weight" : upKey
    }

    public var rank: Int { down.shape.first ?? 0 }
    /// alpha / rank, the factor of B(A(x)) at strength 1.
    public var scale: Double { alpha / Double(rank) }
}

/// The models adapters go into and come from: a pipeline's UNet and text encoder (either may be absent, e.g.
/// a training run that adapts only the UNet).
public struct LoRAModels {
    public var unet: (any Module)?
    public var textEncoder: (any Module)?

    public init(unet: (any Module)?, textEncoder: (any Module)?) {
        self.unet = unet
        self.textEncoder = textEncoder
    }

    public func model(_ component: LoRAComponent) -> (any Module)? {
        component == .unet ? unet : textEncoder
    }
}

/// The adapters of one LoRA file, independent of its format (`LoRAFormat`): read from a file, extracted from
/// models that carry adapters, applied to models, written in either format.
public struct LoRAWeights {
    /// Sorted by component (UNet first), then module name.
    public private(set) var adapters: [LoRAAdapterWeights]
    /// The file's safetensors metadata (empty for extracted adapters).
    public var metadata: [String: String]
    /// The format the adapters were read in (nil for extracted adapters).
    public var format: LoRAFormat?

    public init(adapters: [LoRAAdapterWeights], metadata: [String: String] = [:], format: LoRAFormat? = nil) {
        self.adapters = adapters.sorted { ($0.component, $0.module) < ($1.component, $1.module) }
        self.metadata = metadata
        self.format = format
    }

    public func adapter(_ component: LoRAComponent, _ module: String) -> LoRAAdapterWeights? {
        adapters.first { $0.component == component && $0.module == module }
    }

    /// The adapters the models carry (the tensors themselves, not copies), with their alphas.
    public static func extract(from models: LoRAModels) -> LoRAWeights {
        var adapters: [LoRAAdapterWeights] = []
        for component in LoRAComponent.allCases {
            guard let model = models.model(component) else { continue }
            for (name, lora) in model.loraAdapters() {
                adapters.append(LoRAAdapterWeights(component: component, module: name, down: lora.down, up: lora.up,
                                                   alpha: lora.alpha))
            }
        }
        return LoRAWeights(adapters: adapters)
    }

    /// Checks every adapter against the layer it names: the model is there, the layer exists and is a Linear
    /// or a 1x1 Conv2d, A and B have the layer's shapes for their rank, alpha is finite. `file` names the
    /// source in errors, with the adapter's keys.
    public func validate(against models: LoRAModels, file: String) throws {
        _ = try targets(in: models, file: file)
    }

    /// Adds every adapter to its layer (in the layer's dtype and on its device), loads A and B, and sets
    /// `strength` (diffusers' lora_scale): each adapted layer then computes base + strength * (alpha / rank) *
    /// B(A(x)), as PEFT does unmerged. Everything is checked before any layer changes; a layer that already
    /// carries an adapter is an error (remove adapters with `Module.removeLoRA`). The adapters do not require
    /// grad. Returns them in `adapters`' order.
    @discardableResult
    public func apply(to models: LoRAModels, strength: Double = 1, file: String) throws -> [LoRA] {
        guard strength.isFinite else { throw LoRAError(file: file, "the LoRA scale must be a finite number, got \(strength)") }
        let targets = try targets(in: models, file: file)
        for (adapter, target) in zip(adapters, targets) where target.lora != nil {
            throw LoRAError(file: file, key: adapter.downKey, "the \(adapter.component.displayName) layer "
                + "'\(adapter.module)' already carries a LoRA adapter (one adapter per layer)")
        }
        var attached: [LoRA] = []
        try Tensor.withNoGrad {
            for (adapter, target) in zip(adapters, targets) {
                let lora = try target.attachLoRA(rank: adapter.rank, alpha: adapter.alpha, generator: nil)
                try lora.down.copy_(adapter.down)
                try lora.up.copy_(adapter.up)
                lora.strength = strength
                attached.append(lora)
            }
        }
        return attached
    }

    /// The checked layer of every adapter, in `adapters`' order.
    private func targets(in models: LoRAModels, file: String) throws -> [LoRATarget] {
        var indexes: [LoRAComponent: LoRALayerIndex] = [:]
        return try adapters.map { adapter in
            if indexes[adapter.component] == nil {
                guard let model = models.model(adapter.component) else {
                    throw LoRAError(file: file, key: adapter.downKey,
                                    "adapts the \(adapter.component.displayName), which was not given")
                }
                indexes[adapter.component] = LoRALayerIndex(model, component: adapter.component)
            }
            return try indexes[adapter.component]!.target(for: adapter, file: file)
        }
    }
}

/// The layers of one model that a LoRA file can name: every Linear and Conv2d by dotted name, and by kohya's
/// flat name (the dotted name with '.' -> '_', built from the model's own names because underscores also occur
/// inside names: `transformer_blocks`, `to_out_0`, `proj_in`).
struct LoRALayerIndex {
    let component: LoRAComponent
    private(set) var layers: [String: any Module] = [:]
    /// Flat name -> dotted name; nil where two layers share a flat name.
    private(set) var flatNames: [String: String?] = [:]

    init(_ model: any Module, component: LoRAComponent) {
        self.component = component
        for (name, module) in model.namedModules() where module is Linear || module is Conv2d {
            layers[name] = module
            let flat = name.replacingOccurrences(of: ".", with: "_")
            flatNames[flat] = flatNames[flat] == nil ? .some(name) : .some(nil)
        }
    }

    /// The dotted name of the layer with kohya name `flat`, nil when there is none (or it is ambiguous).
    func layer(flat: String) -> String? { flatNames[flat] ?? nil }

    /// The layer `adapter` names, checked: a Linear or 1x1 Conv2d with the adapter's shapes.
    func target(for adapter: LoRAAdapterWeights, file: String) throws -> LoRATarget {
        let name = component.displayName
        guard let module = layers[adapter.module] else {
            throw LoRAError(file: file, key: adapter.downKey, "the \(name) has no Linear or Conv2d layer named '\(adapter.module)'")
        }
        guard let target = LoRATarget(module) else {
            let kernel = (module as? Conv2d).map { "\($0.weight.shape[2])x\($0.weight.shape[3])" } ?? "?"
            throw LoRAError(file: file, key: adapter.downKey, "'\(adapter.module)' is a \(kernel) convolution: LoRA on "
                + "convolutions other than 1x1 (LoCon / LyCORIS conv layers) is not supported")
        }
        for (key, tensor) in [(adapter.downKey, adapter.down), (adapter.upKey, adapter.up)] where !tensor.dtype.isFloatingPoint {
            throw LoRAError(file: file, key: key, "dtype \(tensor.dtype) is not a floating-point type")
        }
        let rank = adapter.rank
        guard rank > 0 else {
            throw LoRAError(file: file, key: adapter.downKey, "shape \(adapter.down.shape) has no rank dimension")
        }
        let expected = target.adapterShapes(rank: rank)
        let kind = target.isConvolution ? "1x1 convolution" : "Linear"
        guard adapter.down.shape == expected.down else {
            throw LoRAError(file: file, key: adapter.downKey, "shape \(adapter.down.shape) does not fit the \(name) "
                + "\(kind) '\(adapter.module)' (\(target.inFeatures) -> \(target.outFeatures)): expected \(expected.down)")
        }
        guard adapter.up.shape == expected.up else {
            throw LoRAError(file: file, key: adapter.upKey, "shape \(adapter.up.shape) does not fit the \(name) "
                + "\(kind) '\(adapter.module)' (\(target.inFeatures) -> \(target.outFeatures)) at rank \(rank): "
                + "expected \(expected.up)")
        }
        guard adapter.alpha.isFinite else {
            throw LoRAError(file: file, key: adapter.downKey, "alpha \(adapter.alpha) is not a finite number")
        }
        return target
    }
}
