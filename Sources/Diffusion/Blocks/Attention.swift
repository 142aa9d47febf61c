import NN
import Torch

/// diffusers' `Attention` run by `AttnProcessor2_0` (fused scaled-dot-product attention), in the forms SD 1.5
/// uses: the UNet's self- and cross-attention (no q/k/v bias, `to_out.0` with bias) and the VAE mid-block's
/// single-head attention over [B, C, H, W] with `group_norm`, q/k/v bias and a residual connection.
public final class Attention: Module {
    public let toQ: Linear
    public let toK: Linear
    public let toV: Linear
    /// `to_out.0`; `to_out.1` is a dropout with p = 0 and holds no weights.
    public let toOut: Linear
    public let groupNorm: GroupNorm?
    public let heads: Int
    public let dimHead: Int
    public let queryDim: Int
    public let crossAttentionDim: Int
    /// Whether this was built as cross-attention (diffusers' `is_cross_attention`).
    public let isCrossAttention: Bool
    public let residualConnection: Bool
    public let rescaleOutputFactor: Double

    public init(queryDim: Int, crossAttentionDim: Int? = nil, heads: Int, dimHead: Int, bias: Bool = false,
                outBias: Bool = true, groupNormGroups: Int? = nil, eps: Double = 1e-5,
                residualConnection: Bool = false, rescaleOutputFactor: Double = 1, factory: ParameterFactory) throws {
        guard queryDim > 0, heads > 0, dimHead > 0, crossAttentionDim.map({ $0 > 0 }) ?? true else {
            throw BlockError("Attention", "query_dim \(queryDim), heads \(heads), dim_head \(dimHead) and "
                + "cross_attention_dim \(crossAttentionDim.map(String.init) ?? "nil") must be positive")
        }
        guard rescaleOutputFactor != 0 else { throw BlockError("Attention", "rescale_output_factor must not be 0") }
        let inner = heads * dimHead
        let context = crossAttentionDim ?? queryDim
        groupNorm = try groupNormGroups.map { try GroupNorm(groups: $0, channels: queryDim, eps: eps, factory: factory) }
        toQ = try Linear(queryDim, inner, bias: bias, factory: factory)
        toK = try Linear(context, inner, bias: bias, factory: factory)
        toV = try Linear(context, inner, bias: bias, factory: factory)
        toOut = try Linear(inner, queryDim, bias: outBias, factory: factory)
        self.heads = heads
        self.dimHead = dimHead
        self.queryDim = queryDim
        isCrossAttention = crossAttentionDim != nil
        self.crossAttentionDim = context
        self.residualConnection = residualConnection
        self.rescaleOutputFactor = rescaleOutputFactor
    }


    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = []
        if let groupNorm { list.append(("group_norm", groupNorm)) }
        return list + [("to_q", toQ), ("to_k", toK), ("to_v", toV), ("to_out.0", toOut)]
    }

    /// hidden: [B, S, query_dim] or [B, query_dim, H, W]; encoderHiddenStates: [B, S', cross_attention_dim]
    /// (nil: self-attention). Returns the input's shape.
    public func callAsFunction(_ hidden: Tensor, encoderHiddenStates: Tensor? = nil) throws -> Tensor {
        let input = hidden
        var spatial: (Int, Int)?
        var states = hidden
        if hidden.ndim == 4 {
            guard hidden.shape[1] == queryDim else {
                throw BlockError("Attention", "expected [B, \(queryDim), H, W], got \(hidden.shape)")
            }
            let (b, c, h, w) = (hidden.shape[0], hidden.shape[1], hidden.shape[2], hidden.shape[3])
            states = try hidden.reshape([b, c, h * w]).transpose(1, 2)
            spatial = (h, w)
        } else if hidden.ndim != 3 || hidden.shape[2] != queryDim {
            throw BlockError("Attention", "expected [B, S, \(queryDim)] or [B, \(queryDim), H, W], got \(hidden.shape)")
        }
        let batch = states.shape[0]
        if let encoderHiddenStates {
            guard encoderHiddenStates.ndim == 3, encoderHiddenStates.shape[2] == crossAttentionDim,
                  encoderHiddenStates.shape[0] == batch
            else {
                throw BlockError("Attention", "expected encoder hidden states [\(batch), S, \(crossAttentionDim)], "
                    + "got \(encoderHiddenStates.shape)")
            }
        }
        if let groupNorm { states = try groupNorm(states.transpose(1, 2)).transpose(1, 2) }
        let context = encoderHiddenStates ?? states
        let q = try splitHeads(toQ(states))
        let k = try splitHeads(toK(context))
        let v = try splitHeads(toV(context))
        let attended = try Tensor.scaledDotProductAttention(query: q, key: k, value: v)
        var out = try toOut(mergeHeads(attended))
        if let (h, w) = spatial {
            out = try out.transpose(-1, -2).reshape([batch, queryDim, h, w])
        }
        if residualConnection { out = try out + input }
        return rescaleOutputFactor == 1 ? out : try out / rescaleOutputFactor
    }

    /// [B, S, heads * dim_head] -> [B, heads, S, dim_head].
    public func splitHeads(_ x: Tensor) throws -> Tensor {
        try x.reshape([x.shape[0], -1, heads, dimHead]).transpose(1, 2)
    }

    /// [B, heads, S, dim_head] -> [B, S, heads * dim_head].
    public func mergeHeads(_ x: Tensor) throws -> Tensor {
        try x.transpose(1, 2).reshape([x.shape[0], -1, heads * dimHead])
    }
}
