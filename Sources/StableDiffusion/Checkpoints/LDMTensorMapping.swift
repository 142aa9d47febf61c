import Torch

/// Where one diffusers tensor comes from in an original (LDM) single-file checkpoint.
public struct LDMTensorMapping: Equatable, Hashable, Sendable {
    /// What happens to the values on the way.
    public enum Transform: Equatable, Hashable, Sendable {
        /// The tensor is taken as it is.
        case none
        /// A 1x1 convolution weight ([out, in, 1, 1] or [out, in, 1]) becomes a linear weight [out, in]:
        /// the VAE mid-block attention, which LDM writes as convolutions and diffusers as linears.
        case convToLinear
    }

    /// The full LDM name, prefix included (`model.diffusion_model.input_blocks.1.0.in_layers.0.weight`).
    public let source: String
    /// The diffusers name inside its component (`down_blocks.0.resnets.0.norm1.weight`).
    public let target: String
    public let transform: Transform

    public init(source: String, target: String, transform: Transform = .none) {
        self.source = source
        self.target = target
        self.transform = transform
    }

    /// The converted tensor (the same tensor object when nothing changes).
    public func apply(_ tensor: Tensor) throws -> Tensor {
        switch transform {
        case .none:
            return tensor
        case .convToLinear:
            let shape = tensor.shape
            // diffusers slices [:, :, 0, 0] whenever the rank is 3 or 4; a larger kernel would silently lose
            // weights there, so it is rejected here.
            guard shape.count > 2 else { return tensor }
            guard shape.count <= 4, shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
                throw CheckpointError.invalidTensor(source, reason: "shape \(shape) is not a 1x1 convolution weight")
            }
            return try tensor.reshape(Array(shape.prefix(2)))
        }
    }

    /// The converted shape, for planning from a header without reading tensors.
    public func targetShape(_ shape: [Int]) -> [Int] {
        transform == .convToLinear && shape.count > 2 ? Array(shape.prefix(2)) : shape
    }
}

/// Builds mapping lists: `add("in_layers.0", "norm1")` appends the .weight and .bias pairs under two prefixes.
struct MappingBuilder {
    let sourcePrefix: String
    var mappings: [LDMTensorMapping] = []

    init(sourcePrefix: String) {
        self.sourcePrefix = sourcePrefix
    }

    mutating func tensor(_ source: String, _ target: String, _ transform: LDMTensorMapping.Transform = .none) {
        mappings.append(LDMTensorMapping(source: sourcePrefix + source, target: target, transform: transform))
    }

    /// `<source>.weight` and `<source>.bias` (or just the weight).
    mutating func layer(_ source: String, _ target: String, bias: Bool = true,
                        _ transform: LDMTensorMapping.Transform = .none) {
        tensor(source + ".weight", target + ".weight", transform)
        if bias { tensor(source + ".bias", target + ".bias") }
    }
}
