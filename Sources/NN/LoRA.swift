import Torch

/// A low-rank adapter (Hu et al. 2021) on a Linear or 1x1 Conv2d: output += (alpha / rank) * B(A(x)).
/// A starts as PyTorch's default Linear initialization and B as zeros, so an injected adapter leaves the
/// model's output unchanged until it is trained (PEFT's default). Parameters are named `lora_A.weight`,
/// `lora_B.weight` under the layer's `lora` child; kohya-format export renames them.
public final class LoRA: Module {
    /// A: [rank, in] (or [rank, in, 1, 1] for a convolution).
    public let down: Tensor
    /// B: [out, rank] (or [out, rank, 1, 1]).
    public let up: Tensor
    public let rank: Int
    public let alpha: Double
    public var scale: Double { alpha / Double(rank) }

    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, convolution: Bool,
                factory: ParameterFactory) throws {
        guard rank > 0 else { throw TorchError("LoRA rank must be positive, got \(rank)") }
        let spatial = convolution ? [1, 1] : []
        down = try factory.uniform([rank, inFeatures] + spatial, bound: 1 / Double(inFeatures).squareRoot())
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
    /// parameters require grad; nothing else is changed.
    @discardableResult
    public func injectLoRA(_ configuration: LoRAConfiguration, factory: ParameterFactory) throws -> [String] {
        var injected: [String] = []
        for (name, module) in namedModules() where configuration.targets.contains(where: { name == $0 || name.hasSuffix("." + $0) }) {
            let lora: LoRA
            if let linear = module as? Linear {
                lora = try LoRA(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: configuration.rank,
                                alpha: configuration.alpha, convolution: false,
                                factory: ParameterFactory(dtype: linear.weight.dtype, device: linear.weight.device,
                                                          generator: factory.generator))
                linear.lora = lora
            } else if let conv = module as? Conv2d, conv.isPointwise {
                lora = try LoRA(inFeatures: conv.weight.shape[1], outFeatures: conv.weight.shape[0],
                                rank: configuration.rank, alpha: configuration.alpha, convolution: true,
                                factory: ParameterFactory(dtype: conv.weight.dtype, device: conv.weight.device,
                                                          generator: factory.generator))
                conv.lora = lora
            } else {
                continue
            }
            try lora.setRequiresGrad(true)
            injected.append(name)
        }
        return injected
    }
}
