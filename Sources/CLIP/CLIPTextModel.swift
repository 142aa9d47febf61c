import NN
import Torch

/// transformers' CLIPTextModel with the parameter names of its checkpoints (`text_model.embeddings...`,
/// `text_model.encoder.layers.{i}...`, `text_model.final_layer_norm...`): SD 1.5's `text_encoder`.
/// (transformers 5 itself names them without the prefix and maps checkpoint keys on load; checkpoints on disk
/// carry it.)
public final class CLIPTextModel: Module {
    public let textModel: CLIPTextTransformer
    public var config: CLIPTextConfig { textModel.config }

    public init(_ config: CLIPTextConfig, factory: ParameterFactory) throws {
        textModel = try CLIPTextTransformer(config, factory: factory)
    }

    public var children: [(name: String, module: any Module)] { [("text_model", textModel)] }

    public func callAsFunction(_ ids: Tensor, attentionMask: Tensor? = nil) throws -> CLIPTextOutput {
        try textModel(ids, attentionMask: attentionMask)
    }
}

/// transformers' CLIPTextModelWithProjection: the text model plus `text_projection` (no bias), giving
/// CLIP-space text embeddings (not normalized).
public final class CLIPTextModelWithProjection: Module {
    public let textModel: CLIPTextTransformer
    public let textProjection: Linear
    public var config: CLIPTextConfig { textModel.config }

    public init(_ config: CLIPTextConfig, factory: ParameterFactory) throws {
        textModel = try CLIPTextTransformer(config, factory: factory)
        textProjection = try Linear(config.hiddenSize, config.projectionDim, bias: false, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("text_model", textModel), ("text_projection", textProjection)]
    }

    /// The text model's outputs and the projected pooled output [B, projection_dim].
    public func callAsFunction(_ ids: Tensor, attentionMask: Tensor? = nil) throws
        -> (output: CLIPTextOutput, textEmbeds: Tensor)
    {
        let output = try textModel(ids, attentionMask: attentionMask)
        return (output, try textProjection(output.pooled))
    }
}
