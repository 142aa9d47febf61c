import NN
import Torch

/// transformers' CLIPTextEmbeddings: token_embedding + position_embedding (positions 0..<S).
public final class CLIPTextEmbeddings: Module {
    public let tokenEmbedding: Embedding
    public let positionEmbedding: Embedding

    public init(vocabSize: Int, maxPositions: Int, hiddenSize: Int, factory: ParameterFactory) throws {
        tokenEmbedding = try Embedding(vocabSize, hiddenSize, std: 0.02, factory: factory)
        positionEmbedding = try Embedding(maxPositions, hiddenSize, std: 0.02, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("token_embedding", tokenEmbedding), ("position_embedding", positionEmbedding)]
    }

    public var maxPositions: Int { positionEmbedding.weight.shape[0] }

    /// ids: [B, S] integer token ids.
    public func callAsFunction(_ ids: Tensor) throws -> Tensor {
        let length = ids.shape[1]
        guard length <= maxPositions else {
            throw CLIPError.invalidInput(
                "sequence length \(length) exceeds max_position_embeddings \(maxPositions)")
        }
        let positions = try Tensor.arange(0, Double(length), dtype: .int64, device: ids.device)
        return try tokenEmbedding(ids) + positionEmbedding(positions)
    }
}
