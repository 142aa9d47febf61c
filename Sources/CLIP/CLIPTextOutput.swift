import Torch

/// What the CLIP text transformer returns.
public struct CLIPTextOutput {
    /// The last layer's output after final_layer_norm: SD 1.5's conditioning ([B, S, hidden]).
    public var lastHiddenState: Tensor
    /// Raw hidden states as transformers' `hidden_states`: index 0 is the embeddings, index i the output of
    /// layer i, none with final_layer_norm applied (so `hiddenStates.last` is `lastHiddenState` before the
    /// norm). For "clip skip" diffusers takes hiddenStates[count - 1 - clipSkip] AND applies final_layer_norm;
    /// `CLIPTextTransformer.clipSkipEmbeddings` does exactly that.
    public var hiddenStates: [Tensor]
    /// [B, hidden]: lastHiddenState at the end token (transformers' pooler_output).
    public var pooled: Tensor
}

/// What a CLIP vision transformer returns.
public struct CLIPVisionOutput {
    /// The last layer's output, without post_layernorm ([B, 1 + patches, hidden]), as transformers.
    public var lastHiddenState: Tensor
    /// Index 0 is the embeddings after pre_layrnorm (the encoder's input), index i the output of layer i.
    public var hiddenStates: [Tensor]
    /// post_layernorm of the class token ([B, hidden]).
    public var pooled: Tensor
}
