import Torch

/// torch.nn.GroupNorm over [N, C, ...].
public final class GroupNorm: Module {
    public let groups: Int
    public let eps: Double
    public let weight: Tensor?
    public let bias: Tensor?

    public init(groups: Int, channels: Int, eps: Double = 1e-5, affine: Bool = true, factory: ParameterFactory) throws {
        guard groups > 0, channels % groups == 0 else {
            throw TorchError("GroupNorm: \(channels) channels are not divisible by \(groups) groups")
        }
        self.groups = groups
        self.eps = eps
        weight = affine ? try factory.constant([channels], 1) : nil
        bias = affine ? try factory.constant([channels], 0) : nil
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps)
    }
}

/// torch.nn.LayerNorm over the last dimension.
public final class LayerNorm: Module {
    public let eps: Double
    public let weight: Tensor?
    public let bias: Tensor?
    public let dim: Int

    public init(_ dim: Int, eps: Double = 1e-5, affine: Bool = true, factory: ParameterFactory) throws {
        self.dim = dim
        self.eps = eps
        weight = affine ? try factory.constant([dim], 1) : nil
        bias = affine ? try factory.constant([dim], 0) : nil
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(normalizedShape: [dim], weight: weight, bias: bias, eps: eps)
    }
}

/// torch.nn.Embedding.
public final class Embedding: Module {
    public let weight: Tensor

    public init(_ count: Int, _ dim: Int, std: Double = 1, factory: ParameterFactory) throws {
        weight = try factory.normal([count, dim], std: std)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ indices: Tensor) throws -> Tensor {
        try Tensor.embedding(weight: weight, indices: indices)
    }
}
