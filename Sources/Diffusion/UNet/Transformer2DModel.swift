import NN
import Torch

/// diffusers' `Transformer2DModel` on continuous inputs (the UNet's `attentions.N`): GroupNorm (eps 1e-6),
/// proj_in, `transformer_blocks`, proj_out, plus the residual. proj_in/proj_out are 1x1 Conv2d in SD 1.x and
/// Linear with `use_linear_projection` (SD 2.x); the order of reshapes follows diffusers for each.
public final class Transformer2DModel: Module {
    public let norm: GroupNorm
    public let projIn: any Module
    public let transformerBlocks: [BasicTransformerBlock]
    public let projOut: any Module
    public let useLinearProjection: Bool
    public let channels: Int

    /// `name`: this module's full name in the UNet, e.g. "down_blocks.0.attentions.1" (names its attn2 layers).
    public init(heads: Int, dimHead: Int, inChannels: Int, layers: Int, crossAttentionDim: Int, normGroups: Int,
                useLinearProjection: Bool, onlyCrossAttention: Bool = false, name: String, downscale: Int,
                factory: ParameterFactory) throws {
        let inner = heads * dimHead
        norm = try GroupNorm(groups: normGroups, channels: inChannels, eps: 1e-6, factory: factory)
        if useLinearProjection {
            projIn = try Linear(inChannels, inner, factory: factory)
            projOut = try Linear(inner, inChannels, factory: factory)
        } else {
            projIn = try Conv2d(inChannels, inner, kernelSize: 1, factory: factory)
            projOut = try Conv2d(inner, inChannels, kernelSize: 1, factory: factory)
        }
        transformerBlocks = try (0..<layers).map {
            try BasicTransformerBlock(dim: inner, heads: heads, dimHead: dimHead, crossAttentionDim: crossAttentionDim,
                                      onlyCrossAttention: onlyCrossAttention,
                                      attn2Name: "\(name).transformer_blocks.\($0).attn2", downscale: downscale,
                                      factory: factory)
        }
        self.useLinearProjection = useLinearProjection
        channels = inChannels
    }

    public var children: [(name: String, module: any Module)] {
        [("norm", norm), ("proj_in", projIn)]
            + transformerBlocks.enumerated().map { ("transformer_blocks.\($0.offset)", $0.element) }
            + [("proj_out", projOut)]
    }

    func forward(_ x: Tensor, encoderHiddenStates: Tensor, plan: CapturePlan?) throws
        -> (Tensor, [CapturedAttention])
    {
        guard x.ndim == 4, x.shape[1] == channels else {
            throw UNetError("Transformer2DModel expects [B, \(channels), H, W], got \(x.shape)")
        }
        let (b, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        var hidden = try norm(x)
        if let conv = projIn as? Conv2d {
            hidden = try conv(hidden)
            hidden = try hidden.permute([0, 2, 3, 1]).reshape([b, h * w, hidden.shape[1]])
        } else if let linear = projIn as? Linear {
            hidden = try linear(hidden.permute([0, 2, 3, 1]).reshape([b, h * w, channels]))
        }
        var captures: [CapturedAttention] = []
        for block in transformerBlocks {
            let (next, capture) = try block.forward(hidden, encoderHiddenStates: encoderHiddenStates, height: h,
                                                    width: w, plan: plan)
            hidden = next
            if let capture { captures.append(capture) }
        }
        let inner = hidden.shape[2]
        if let conv = projOut as? Conv2d {
            hidden = try conv(hidden.reshape([b, h, w, inner]).permute([0, 3, 1, 2]).contiguous())
        } else if let linear = projOut as? Linear {
            hidden = try linear(hidden).reshape([b, h, w, channels]).permute([0, 3, 1, 2]).contiguous()
        }
        return (try hidden + x, captures)
    }

    /// The plain forward (no capture).
    public func callAsFunction(_ x: Tensor, encoderHiddenStates: Tensor) throws -> Tensor {
        try forward(x, encoderHiddenStates: encoderHiddenStates, plan: nil).0
    }
}
