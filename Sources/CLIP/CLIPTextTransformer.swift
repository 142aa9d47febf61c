import NN
import Torch

/// The body of transformers' CLIPTextModel (embeddings, causal encoder, final_layer_norm), whose
/// parameters sit under `text_model.` in checkpoints.
public final class CLIPTextTransformer: Module {
    public let config: CLIPTextConfig
    public let embeddings: CLIPTextEmbeddings
    public let encoder: CLIPEncoder
    public let finalLayerNorm: LayerNorm

    public init(_ config: CLIPTextConfig, factory: ParameterFactory) throws {
        try config.validate()
        self.config = config
        embeddings = try CLIPTextEmbeddings(vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings,
                                            hiddenSize: config.hiddenSize, factory: factory)
        encoder = try CLIPEncoder(layers: config.numHiddenLayers, hiddenSize: config.hiddenSize,
                                  intermediateSize: config.intermediateSize, numHeads: config.numAttentionHeads,
                                  activation: config.hiddenAct, eps: config.layerNormEps, factory: factory)
        finalLayerNorm = try LayerNorm(config.hiddenSize, eps: config.layerNormEps, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        [("embeddings", embeddings), ("encoder", encoder), ("final_layer_norm", finalLayerNorm)]
    }

    /// ids: [B, S] (or [S]) integer token ids. `attentionMask`: [B, S], nonzero = real token; padded keys are
    /// then masked on top of the causal mask, as transformers does (right padding: every query keeps at
    /// least the first token; with left padding the padded queries see no key and get a zero attention output,
    /// as in transformers' default sdpa path, whose eager path differs there only).
    public func callAsFunction(_ ids: Tensor, attentionMask: Tensor? = nil) throws -> CLIPTextOutput {
        let ids = ids.ndim == 1 ? try ids.unsqueeze(dim: 0) : ids
        guard ids.ndim == 2, !ids.dtype.isFloatingPoint, ids.dtype != .bool else {
            throw CLIPError.invalidInput("input ids must be an integer [batch, length] tensor, got \(ids.dtype) \(ids.shape)")
        }
        let (batch, length) = (ids.shape[0], ids.shape[1])
        guard length > 0 else { throw CLIPError.invalidInput("input ids are empty") }
        let x = try embeddings(ids)
        let mask = try attentionMask.map { try combinedMask($0, batch: batch, length: length) }
        let states = try encoder.hiddenStates(x, mask: mask, isCausal: true)
        let last = try finalLayerNorm(states[states.count - 1])
        return CLIPTextOutput(lastHiddenState: last, hiddenStates: states, pooled: try pool(last, ids: ids))
    }

    /// diffusers' clip skip: hidden_states[-(clipSkip + 1)] with final_layer_norm applied (clipSkip 0 is the
    /// usual last_hidden_state; 1 is "clip skip 2" in A1111 terms, the penultimate layer).
    public func clipSkipEmbeddings(_ output: CLIPTextOutput, clipSkip: Int) throws -> Tensor {
        guard clipSkip >= 0, clipSkip < output.hiddenStates.count - 1 else {
            throw CLIPError.invalidInput("clip skip \(clipSkip) is outside 0..<\(output.hiddenStates.count - 1)")
        }
        if clipSkip == 0 { return output.lastHiddenState }
        return try finalLayerNorm(output.hiddenStates[output.hiddenStates.count - 1 - clipSkip])
    }

    /// transformers' pooled output: with the legacy eos_token_id 2 the position of the largest id (the end
    /// token is the largest in CLIP's vocabulary), otherwise the first position holding eos_token_id (or 0
    /// when a row has none, as argmax of all-false gives).
    private func pool(_ last: Tensor, ids: Tensor) throws -> Tensor {
        let positions = config.eosTokenId == 2
            ? try ids.to(.int32).argmax(dim: -1)
            : try ids.eq(Double(config.eosTokenId)).to(.int32).argmax(dim: -1)
        let rows = try Tensor.arange(0, Double(ids.shape[0]), dtype: .int64, device: last.device)
        return try last.index([rows, positions.to(dtype: .int64, device: last.device)])
    }

    /// Boolean [B, 1, S, S]: causal AND key not padded.
    private func combinedMask(_ attentionMask: Tensor, batch: Int, length: Int) throws -> Tensor {
        guard attentionMask.shape == [batch, length] else {
            throw CLIPError.invalidInput("attention mask shape \(attentionMask.shape) does not match input ids [\(batch), \(length)]")
        }
        let device = attentionMask.device
        let causal = try Tensor.ones([length, length], device: device).tril().gt(0).view([1, 1, length, length])
        let keys = try attentionMask.ne(0).view([batch, 1, 1, length])
        return try causal.logicalAnd(keys)
    }
}
