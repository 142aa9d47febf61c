import NN
import Torch

/// diffusers' `BasicTransformerBlock` as SD 1.x/2.x use it (norm_type "layer_norm", GEGLU feed-forward):
/// h += attn1(norm1(h)); h += attn2(norm2(h), text); h += ff(norm3(h)).
/// attn2 is the layer SPF captures; attn1 (self-attention) always runs fused, its maps are never kept.
public final class BasicTransformerBlock: Module {
    public let norm1: LayerNorm
    public let attn1: Attention
    public let norm2: LayerNorm
    public let attn2: Attention
    public let norm3: LayerNorm
    public let ff: FeedForward
    public let onlyCrossAttention: Bool
    /// attn2's full name in the UNet (what capture specs select).
    public let attn2Name: String
    /// attn2 runs at 1/downscale of the latent size.
    public let downscale: Int

    public init(dim: Int, heads: Int, dimHead: Int, crossAttentionDim: Int, onlyCrossAttention: Bool = false,
                attn2Name: String, downscale: Int, factory: ParameterFactory) throws {
        norm1 = try LayerNorm(dim, eps: 1e-5, factory: factory)
        attn1 = try Attention(queryDim: dim, crossAttentionDim: onlyCrossAttention ? crossAttentionDim : nil,
                              heads: heads, dimHead: dimHead, factory: factory)
        norm2 = try LayerNorm(dim, eps: 1e-5, factory: factory)
        attn2 = try Attention(queryDim: dim, crossAttentionDim: crossAttentionDim, heads: heads, dimHead: dimHead,
                              factory: factory)
        norm3 = try LayerNorm(dim, eps: 1e-5, factory: factory)
        ff = try FeedForward(dim: dim, factory: factory)
        self.onlyCrossAttention = onlyCrossAttention
        self.attn2Name = attn2Name
        self.downscale = downscale
    }

    public var children: [(name: String, module: any Module)] {
        [("norm1", norm1), ("attn1", attn1), ("norm2", norm2), ("attn2", attn2), ("norm3", norm3), ("ff", ff)]
    }

    /// hidden: [B, h*w, dim]. Returns the new hidden states and attn2's capture when the plan selects it.
    func forward(_ hidden: Tensor, encoderHiddenStates: Tensor, height: Int, width: Int, plan: CapturePlan?) throws
        -> (Tensor, CapturedAttention?)
    {
        var h = try attn1(norm1(hidden), encoderHiddenStates: onlyCrossAttention ? encoderHiddenStates : nil) + hidden
        var capture: CapturedAttention?
        if let plan, plan.layers.contains(attn2Name) {
            let (out, captured) = try attn2.capturing(norm2(h), context: encoderHiddenStates, height: height,
                                                      width: width, name: attn2Name, downscale: downscale, plan: plan)
            h = try out + h
            capture = captured
        } else {
            h = try attn2(norm2(h), encoderHiddenStates: encoderHiddenStates) + h
        }
        return (try ff(norm3(h)) + h, capture)
    }

    /// The plain forward (no capture): hidden [B, N, dim] with the text encoder's states.
    public func callAsFunction(_ hidden: Tensor, encoderHiddenStates: Tensor) throws -> Tensor {
        guard hidden.ndim == 3 else { throw UNetError("BasicTransformerBlock expects [B, N, dim], got \(hidden.shape)") }
        return try forward(hidden, encoderHiddenStates: encoderHiddenStates, height: hidden.shape[1], width: 1,
                           plan: nil).0
    }
}
