import NN
import Torch

/// diffusers' UNetMidBlock2D as the VAE builds it: resnets.0, then per layer a single-head spatial
/// `attentions.N` (group norm, q/k/v bias, residual) and `resnets.N+1`; no time embedding.
public final class UNetMidBlock2D: Module {
    public let resnets: [ResnetBlock2D]
    /// Empty when mid_block_add_attention is false (diffusers keeps None entries, which hold no weights).
    public let attentions: [Attention]

    public init(channels: Int, groups: Int, eps: Double = 1e-6, numLayers: Int = 1, addAttention: Bool = true,
                factory: ParameterFactory) throws {
        resnets = try (0...numLayers).map { _ in
            try ResnetBlock2D(inChannels: channels, outChannels: channels, temembChannels: nil, groups: groups,
                              eps: eps, factory: factory)
        }
        // attention_head_dim = channels: one head over all channels.
        attentions = addAttention
            ? try (0..<numLayers).map { _ in
                try Attention(queryDim: channels, heads: 1, dimHead: channels, bias: true, groupNormGroups: groups,
                              eps: eps, residualConnection: true, factory: factory)
            }
            : []
    }

    public var children: [(name: String, module: any Module)] {
        attentions.enumerated().map { ("attentions.\($0.offset)", $0.element as any Module) }
            + resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try resnets[0](x, temb: nil)
        for (i, resnet) in resnets.dropFirst().enumerated() {
            if i < attentions.count { h = try attentions[i](h) }
            h = try resnet(h, temb: nil)
        }
        return h
    }
}
