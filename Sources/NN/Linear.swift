import Torch

/// torch.nn.Linear: y = x W^T + b, with an optional LoRA adapter added to its output.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// Injected by `Module.injectLoRA`; nil for a plain layer.
    public internal(set) var lora: LoRA?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, factory: ParameterFactory) throws {
        let bound = 1 / Double(inFeatures).squareRoot()
        weight = try factory.uniform([outFeatures, inFeatures], bound: bound)
        self.bias = bias ? try factory.uniform([outFeatures], bound: bound) : nil
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var children: [(name: String, module: any Module)] { lora.map { [("lora", $0)] } ?? [] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try x.linear(weight: weight, bias: bias)
        // Strength 0 is PEFT's disable_adapter: the base layer alone (nothing computed, so no NaN can leak in).
        guard let lora, lora.strength != 0 else { return y }
        return try y + lora.linearDelta(x)
    }
}
