import Torch

/// torch.nn.Conv2d with square or rectangular kernels, stride, padding and groups; 1x1 convolutions accept
/// a LoRA adapter (SD's transformer proj_in/proj_out are 1x1 convolutions in SD 1.5 checkpoints).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let groups: Int
    public internal(set) var lora: LoRA?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, bias: Bool = true, factory: ParameterFactory) throws {
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw TorchError("Conv2d channels \(inChannels) -> \(outChannels) are not divisible by \(groups) groups")
        }
        let fanIn = inChannels / groups * kernelSize * kernelSize
        let bound = 1 / Double(fanIn).squareRoot()
        weight = try factory.uniform([outChannels, inChannels / groups, kernelSize, kernelSize], bound: bound)
        self.bias = bias ? try factory.uniform([outChannels], bound: bound) : nil
        self.stride = (stride, stride)
        self.padding = (padding, padding)
        self.groups = groups
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var children: [(name: String, module: any Module)] { lora.map { [("lora", $0)] } ?? [] }

    public var isPointwise: Bool { weight.shape[2] == 1 && weight.shape[3] == 1 && groups == 1 }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
        // Strength 0 is PEFT's disable_adapter: the base layer alone (nothing computed, so no NaN can leak in).
        guard let lora, lora.strength != 0 else { return y }
        return try y + lora.pointwiseConvDelta(x)
    }
}
