import NN
import Torch

/// transformers' CLIPModel with its checkpoint names (`text_model.*`, `vision_model.*`,
/// `text_projection.weight`, `visual_projection.weight`, `logit_scale`): CLIP scores and the
/// differentiable CLIP loss.
public final class CLIPModel: Module {
    public let config: CLIPConfig
    public let textModel: CLIPTextTransformer
    public let visionModel: CLIPVisionTransformer
    public let visualProjection: Linear
    public let textProjection: Linear
    /// A 0-dimensional parameter: log of the logits' temperature.
    public let logitScale: Tensor

    public init(_ config: CLIPConfig, factory: ParameterFactory) throws {
        self.config = config
        textModel = try CLIPTextTransformer(config.textConfig, factory: factory)
        visionModel = try CLIPVisionTransformer(config.visionConfig, factory: factory)
        visualProjection = try Linear(config.visionConfig.hiddenSize, config.projectionDim, bias: false,
                                      factory: factory)
        textProjection = try Linear(config.textConfig.hiddenSize, config.projectionDim, bias: false, factory: factory)
        logitScale = try factory.constant([], config.logitScaleInitValue)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("logit_scale", logitScale)] }

    public var children: [(name: String, module: any Module)] {
        [("text_model", textModel), ("vision_model", visionModel), ("visual_projection", visualProjection),
         ("text_projection", textProjection)]
    }

    /// Projected text embeddings [B, projection_dim], not normalized (get_text_features).
    public func textFeatures(_ ids: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try textProjection(textModel(ids, attentionMask: attentionMask).pooled)
    }

    /// Projected image embeddings [B, projection_dim], not normalized (get_image_features).
    public func imageFeatures(_ pixels: Tensor) throws -> Tensor {
        try visualProjection(visionModel(pixels).pooled)
    }

    /// CLIPModel.forward: L2-normalized embeddings and logits_per_text = exp(logit_scale) * t . i
    /// ([texts, images]; logits_per_image is its transpose).
    public func callAsFunction(ids: Tensor, pixels: Tensor, attentionMask: Tensor? = nil) throws
        -> (textEmbeds: Tensor, imageEmbeds: Tensor, logitsPerText: Tensor)
    {
        try self(text: textModel(ids, attentionMask: attentionMask), pixels: pixels)
    }

    /// The same from a text tower output computed beforehand (for a caller that also reads its hidden states).
    public func callAsFunction(text output: CLIPTextOutput, pixels: Tensor) throws
        -> (textEmbeds: Tensor, imageEmbeds: Tensor, logitsPerText: Tensor)
    {
        let image = try normalized(imageFeatures(pixels))
        let text = try normalized(textProjection(output.pooled))
        let logits = try text.matmul(image.transpose(0, 1)) * logitScale.exp()
        return (text, image, logits)
    }

    /// x / ||x|| as transformers computes it (sum of squares to the power 0.5, no epsilon).
    private func normalized(_ x: Tensor) throws -> Tensor {
        try x / x.pow(2).sum(dims: [-1], keepDim: true).pow(0.5)
    }
}
