import NN
import Torch

/// transformers' CLIPEncoderLayer: pre-norm residual attention then pre-norm residual MLP.
public final class CLIPEncoderLayer: Module {
    public let selfAttn: CLIPAttention
    public let layerNorm1: LayerNorm
    public let mlp: CLIPMLP
    public let layerNorm2: LayerNorm

    public init(hiddenSize: Int, intermediateSize: Int, numHeads: Int, activation: CLIPActivation, eps: Double,
                factory: ParameterFactory) throws {
        selfAttn = try CLIPAttention(hiddenSize: hiddenSize, numHeads: numHeads, factory: factory)
        layerNorm1 = try LayerNorm(hiddenSize, eps: eps, factory: factory)
        mlp = try CLIPMLP(hiddenSize: hiddenSize, intermediateSize: intermediateSize, activation: activation,
                          factory: factory)
        layerNorm2 = try LayerNorm(hiddenSize, eps: eps, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("self_attn", selfAttn), ("layer_norm1", layerNorm1), ("mlp", mlp), ("layer_norm2", layerNorm2)]
    }

    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, isCausal: Bool = false) throws -> Tensor {
        let h = try x + selfAttn(layerNorm1(x), mask: mask, isCausal: isCausal)
        return try h + mlp(layerNorm2(h))
    }
}

/// transformers' CLIPEncoder: `layers.{i}`.
public final class CLIPEncoder: Module {
    public let layers: [CLIPEncoderLayer]

    public init(layers: Int, hiddenSize: Int, intermediateSize: Int, numHeads: Int, activation: CLIPActivation,
                eps: Double, factory: ParameterFactory) throws {
        guard layers >= 0 else { throw CLIPError.invalidConfiguration("num_hidden_layers \(layers) is negative") }
        self.layers = try (0..<layers).map { _ in
            try CLIPEncoderLayer(hiddenSize: hiddenSize, intermediateSize: intermediateSize, numHeads: numHeads,
                                 activation: activation, eps: eps, factory: factory)
        }
    }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { ("layers.\($0.offset)", $0.element) }
    }

    /// The input followed by every layer's output: [x, layer1(x), ..., layerN(...)] (transformers'
    /// hidden_states tuple).
    public func hiddenStates(_ x: Tensor, mask: Tensor? = nil, isCausal: Bool = false) throws -> [Tensor] {
        var states = [x]
        for layer in layers {
            states.append(try layer(states[states.count - 1], mask: mask, isCausal: isCausal))
        }
        return states
    }
}
