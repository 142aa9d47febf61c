import NN
import Torch

/// transformers' CLIPVisionEmbeddings: class_embedding, patch_embedding (a conv with stride = kernel =
/// patch_size, no bias) and position_embedding over the class token plus the patches.
public final class CLIPVisionEmbeddings: Module {
    public let classEmbedding: Tensor
    public let patchEmbedding: Conv2d
    public let positionEmbedding: Embedding
    public let imageSize: Int

    public init(_ config: CLIPVisionConfig, factory: ParameterFactory) throws {
        classEmbedding = try factory.normal([config.hiddenSize], std: 1 / Double(config.hiddenSize).squareRoot())
        patchEmbedding = try Conv2d(config.numChannels, config.hiddenSize, kernelSize: config.patchSize,
                                    stride: config.patchSize, bias: false, factory: factory)
        positionEmbedding = try Embedding(config.numPatches + 1, config.hiddenSize, std: 0.02, factory: factory)
        imageSize = config.imageSize
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("class_embedding", classEmbedding)] }

    public var children: [(name: String, module: any Module)] {
        [("patch_embedding", patchEmbedding), ("position_embedding", positionEmbedding)]
    }

    /// pixels: [B, C, image_size, image_size] preprocessed (normalized) pixel values.
    public func callAsFunction(_ pixels: Tensor) throws -> Tensor {
        let channels = patchEmbedding.weight.shape[1]
        guard pixels.ndim == 4, pixels.shape[1] == channels, pixels.shape[2] == imageSize, pixels.shape[3] == imageSize
        else {
            throw CLIPError.invalidInput(
                "pixel values must be [batch, \(channels), \(imageSize), \(imageSize)], got \(pixels.shape)")
        }
        let batch = pixels.shape[0]
        let weight = patchEmbedding.weight
        let patches = try patchEmbedding(pixels.to(weight.dtype)).flatten(startDim: 2).transpose(1, 2)
        let hidden = classEmbedding.shape[0]
        let cls = try classEmbedding.view([1, 1, hidden]).expand([batch, 1, hidden])
        return try Tensor.cat([cls, patches], dim: 1) + positionEmbedding.weight.unsqueeze(dim: 0)
    }
}
