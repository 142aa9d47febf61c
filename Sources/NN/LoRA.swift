import Torch

/// A low-rank adapter (Hu et al. 2021) on a Linear or 1x1 Conv2d: output += strength * (alpha / rank) * B(A(x)).
/// A starts as PyTorch's default Linear initialization and B as zeros, so an injected adapter leaves the
/// model's output unchanged until it is trained (PEFT's default). Parameters are named `lora_A.weight`,
/// `lora_B.weight` under the layer's `lora` child; the LoRA file formats (StableDiffusion's `LoRAFormat`)
/// rename them.
///
/// A is always initialized, also from a factory without a generator (which leaves ordinary parameters
/// uninitialized because a checkpoint is about to overwrite them): an uninitialized A could hold NaN or Inf,
/// and NaN times a zero B is still NaN, so a freshly injected adapter would not be the identity. Such a
/// factory draws A from a generator seeded with `LoRA.fallbackSeed` (one per `injectLoRA` call, so the
/// adapters of one model differ from each other): deterministic, and costing only rank x in numbers per layer.
public final class LoRA: Module {
    /// The seed A is drawn with when the factory has no generator.
    public static let fallbackSeed: UInt64 = 0

    /// A: [rank, in] (or [rank, in, 1, 1] for a convolution).
    public let down: Tensor
    /// B: [out, rank] (or [out, rank, 1, 1]).
    public let up: Tensor
    public let rank: Int
    public let alpha: Double
    /// How strongly the adapter applies: diffusers' `lora_scale` (`cross_attention_kwargs={"scale": s}`), kohya's
    /// `multiplier`. 1 while training.
    public var strength: Double = 1
    /// The factor of B(A(x)): (alpha / rank) * strength, multiplied in that order in double precision as PEFT's
    /// `scaling[adapter] = lora_alpha / r` followed by `scale_layer(strength)` does.
    public var scale: Double { alpha / Double(rank) * strength }

    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, convolution: Bool,
                factory: ParameterFactory) throws {
        guard rank > 0 else { throw TorchError("LoRA rank must be positive, got \(rank)") }
        guard inFeatures > 0, outFeatures > 0 else {
            throw TorchError("LoRA features must be positive, got \(inFeatures) -> \(outFeatures)")
        }
        guard alpha.isFinite else { throw TorchError("LoRA alpha must be a finite number, got \(alpha)") }
        let spatial = convolution ? [1, 1] : []
        // The draw happens on the generator's device (a CPU generator for a CUDA layer draws on the CPU).
        let generator = try factory.generator ?? Generator(seed: Self.fallbackSeed)
        let drawing = ParameterFactory(dtype: factory.dtype, device: generator.device, generator: generator)
        let a = try drawing.uniform([rank, inFeatures] + spatial, bound: 1 / Double(inFeatures).squareRoot())
        down = a.device == factory.device ? a : try a.to(factory.device)
        up = try factory.constant([outFeatures, rank] + spatial, 0)
        self.rank = rank
        self.alpha = alpha
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("lora_A.weight", down), ("lora_B.weight", up)] }

    func linearDelta(_ x: Tensor) throws -> Tensor {
        try x.linear(weight: down).linear(weight: up) * scale
    }

    func pointwiseConvDelta(_ x: Tensor) throws -> Tensor {
        try x.conv2d(weight: down).conv2d(weight: up) * scale
    }
}

/// A layer that can carry a LoRA adapter: a Linear, or a 1x1 Conv2d (stride 1, no padding, one group).
public enum LoRATarget {
    case linear(Linear)
    case pointwiseConvolution(Conv2d)

    /// nil when `module` is neither (a 3x3 convolution, a norm, a container).
    public init?(_ module: any Module) {
        if let linear = module as? Linear {
            self = .linear(linear)
        } else if let conv = module as? Conv2d, conv.isPointwise {
            self = .pointwiseConvolution(conv)
        } else {
            return nil
        }
    }

    public var inFeatures: Int {
        switch self {
        case .linear(let layer): layer.inFeatures
        case .pointwiseConvolution(let layer): layer.weight.shape[1]
        }
    }

    public var outFeatures: Int {
        switch self {
        case .linear(let layer): layer.outFeatures
        case .pointwiseConvolution(let layer): layer.weight.shape[0]
        }
    }

    public var isConvolution: Bool {
        if case .pointwiseConvolution = self { return true }
        return false
    }

    /// The shapes A and B must have for `rank`.
    public func adapterShapes(rank: Int) -> (down: [Int], up: [Int]) {
        let spatial = isConvolution ? [1, 1] : []
        return ([rank, inFeatures] + spatial, [outFeatures, rank] + spatial)
    }

    /// The layer's weight (for its dtype and device).
    public var weight: Tensor {
        switch self {
        case .linear(let layer): layer.weight
        case .pointwiseConvolution(let layer): layer.weight
        }
    }

    public var lora: LoRA? {
        switch self {
        case .linear(let layer): layer.lora
        case .pointwiseConvolution(let layer): layer.lora
        }
    }

    /// Creates an adapter in the layer's dtype and on its device (A drawn from `generator`, or from
    /// `LoRA.fallbackSeed` when nil) and attaches it, replacing any adapter the layer had.
    @discardableResult
    public func attachLoRA(rank: Int, alpha: Double, generator: Generator?) throws -> LoRA {
        let lora = try LoRA(inFeatures: inFeatures, outFeatures: outFeatures, rank: rank, alpha: alpha,
                            convolution: isConvolution,
                            factory: ParameterFactory(dtype: weight.dtype, device: weight.device, generator: generator))
        set(lora)
        return lora
    }

    /// Removes the layer's adapter.
    public func detachLoRA() { set(nil) }

    private func set(_ lora: LoRA?) {
        switch self {
        case .linear(let layer): layer.lora = lora
        case .pointwiseConvolution(let layer): layer.lora = lora
        }
    }
}

/// Where LoRA adapters go: layers whose dotted name ends with one of `targets` (e.g. "to_q", "to_k",
/// "to_v", "to_out.0"), as PEFT's target_modules.
public struct LoRAConfiguration: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Double
    public var targets: [String]

    public init(rank: Int, alpha: Double, targets: [String]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }
}

extension Module {
    /// Adds adapters to every matching Linear and 1x1 Conv2d and returns their names. The adapters'
    /// parameters require grad; nothing else is changed. A is drawn from the factory's generator, or (a factory
    /// without one) from one generator seeded with `LoRA.fallbackSeed` for the whole call.
    @discardableResult
    public func injectLoRA(_ configuration: LoRAConfiguration, factory: ParameterFactory) throws -> [String] {
        var injected: [String] = []
        let generator = try factory.generator ?? Generator(seed: LoRA.fallbackSeed)
        for (name, module) in namedModules() where configuration.targets.contains(where: { name == $0 || name.hasSuffix("." + $0) }) {
            guard let target = LoRATarget(module) else { continue }
            let lora = try target.attachLoRA(rank: configuration.rank, alpha: configuration.alpha, generator: generator)
            try lora.setRequiresGrad(true)
            injected.append(name)
        }
        return injected
    }

    /// Every layer below this module that carries an adapter, by dotted name, in declaration order.
    public func loraAdapters() -> [(name: String, lora: LoRA)] {
        namedModules().compactMap { name, module in
            LoRATarget(module)?.lora.map { (name: name, lora: $0) }
        }
    }

    /// Removes every adapter below this module and returns the names of the layers that had one.
    @discardableResult
    public func removeLoRA() -> [String] {
        var removed: [String] = []
        for (name, module) in namedModules() {
            guard let target = LoRATarget(module), target.lora != nil else { continue }
            target.detachLoRA()
            removed.append(name)
        }
        return removed
    }
}
