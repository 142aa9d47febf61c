import NN
import Torch

/// The body of transformers' CLIPVisionModel (checkpoint prefix `vision_model.`): embeddings,
/// `pre_layrnorm` (sic, the checkpoints' spelling), encoder, `post_layernorm` on the class token.
public final class CLIPVisionTransformer: Module {
    public let config: CLIPVisionConfig
    public let embeddings: CLIPVisionEmbeddings
    public let preLayrnorm: LayerNorm
    public let encoder: CLIPEncoder
    public let postLayernorm: LayerNorm

    public init(_ config: CLIPVisionConfig, factory: ParameterFactory) throws {
        self.config = config
        embeddings = try CLIPVisionEmbeddings(config, factory: factory)
        preLayrnorm = try LayerNorm(config.hiddenSize, eps: config.layerNormEps, factory: factory)
        encoder = try CLIPEncoder(layers: config.numHiddenLayers, hiddenSize: config.hiddenSize,
                                  intermediateSize: config.intermediateSize, numHeads: config.numAttentionHeads,
                                  activation: config.hiddenAct, eps: config.layerNormEps, factory: factory)
        postLayernorm = try LayerNorm(config.hiddenSize, eps: config.layerNormEps, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("embeddings", embeddings), ("pre_layrnorm", preLayrnorm), ("encoder", encoder),
         ("post_layernorm", postLayernorm)]
    }

    /// pixels: [B, C, image_size, image_size], already preprocessed (see `CLIPImagePreprocessing`).
    public func callAsFunction(_ pixels: Tensor) throws -> CLIPVisionOutput {
        let states = try encoder.hiddenStates(preLayrnorm(embeddings(pixels)))
        let last = states[states.count - 1]
        let pooled = try postLayernorm(last.select(dim: 1, index: 0))
        return CLIPVisionOutput(lastHiddenState: last, hiddenStates: states, pooled: pooled)
    }
}

/// transformers' CLIPVisionModelWithProjection (`vision_model.*`, `visual_projection.weight`): image
/// embeddings in CLIP space (not normalized).
public final class CLIPVisionModelWithProjection: Module {
    public let visionModel: CLIPVisionTransformer
    public let visualProjection: Linear
    public var config: CLIPVisionConfig { visionModel.config }

    public init(_ config: CLIPVisionConfig, factory: ParameterFactory) throws {
        visionModel = try CLIPVisionTransformer(config, factory: factory)
        visualProjection = try Linear(config.hiddenSize, config.projectionDim, bias: false, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("vision_model", visionModel), ("visual_projection", visualProjection)]
    }

    public func callAsFunction(_ pixels: Tensor) throws -> (output: CLIPVisionOutput, imageEmbeds: Tensor) {
        let output = try visionModel(pixels)
        return (output, try visualProjection(output.pooled))
    }
}
