import Torch

/// What one captured cross-attention layer returned. All tensors are part of the autograd graph: losses
/// on them train the model (and, under gradient checkpointing, they are outputs of the checkpointed block).
public struct CapturedAttention {
    /// The layer's full name, e.g. "down_blocks.1.attentions.0.transformer_blocks.0.attn2".
    public let name: String
    /// The layer runs at 1/downscale of the latent size.
    public let downscale: Int
    /// [B, groups, h, w]: mean over heads of the probabilities summed over each token group; nil without groups.
    public let maps: Tensor?
    /// [B, h*w, C]: Q = to_q(norm2(hidden)); nil unless the spec asks for queries.
    public let queries: Tensor?
    /// [B, heads, h*w, S]: the raw softmax probabilities; nil unless the spec asks for them.
    public let probabilities: Tensor?

    public init(name: String, downscale: Int, maps: Tensor?, queries: Tensor?, probabilities: Tensor?) {
        self.name = name
        self.downscale = downscale
        self.maps = maps
        self.queries = queries
        self.probabilities = probabilities
    }
}

/// The captured layers of one forward call, in the order the UNet ran them.
public struct AttentionCaptures {
    public let layers: [CapturedAttention]

    public init(_ layers: [CapturedAttention] = []) { self.layers = layers }

    public var names: [String] { layers.map(\.name) }

    public subscript(name: String) -> CapturedAttention? { layers.first { $0.name == name } }

    /// The layers that run at 1/downscale of the latent size.
    public func at(downscale: Int) -> [CapturedAttention] { layers.filter { $0.downscale == downscale } }
}

/// A UNet forward call's result.
public struct UNetOutput {
    /// The predicted noise (or v), [B, out_channels, H, W].
    public let sample: Tensor
    /// Empty when no capture was asked for.
    public let captures: AttentionCaptures

    public init(sample: Tensor, captures: AttentionCaptures = AttentionCaptures()) {
        self.sample = sample
        self.captures = captures
    }
}
