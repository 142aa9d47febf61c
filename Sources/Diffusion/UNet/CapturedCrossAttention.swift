import Torch

extension Attention {
    /// Cross-attention computed explicitly so that its probabilities can be returned: scores and softmax in
    /// float32, and the same probabilities produce the output (the captured maps are the ones the model used).
    /// `hidden`: [B, h*w, query_dim] (already normalised); `context`: [B, S, cross_attention_dim].
    func capturing(_ hidden: Tensor, context: Tensor, height: Int, width: Int, name: String, downscale: Int,
                   plan: CapturePlan) throws -> (output: Tensor, capture: CapturedAttention) {
        let batch = hidden.shape[0]
        guard context.ndim == 3, context.shape[0] == batch, context.shape[2] == crossAttentionDim else {
            throw UNetError("\(name): expected encoder hidden states [\(batch), S, \(crossAttentionDim)], got \(context.shape)")
        }
        let query = try toQ(hidden)
        let q = try splitHeads(query)
        let k = try splitHeads(toK(context))
        let v = try splitHeads(toV(context))
        let probabilities = try Tensor.attentionProbabilities(query: q.to(.float32), key: k.to(.float32))
        let output = try toOut(mergeHeads(probabilities.to(v.dtype).matmul(v)))
        var maps: Tensor?
        if let groups = plan.groupMatrix {
            // [B, heads, N, S] -> mean over heads [B, N, S] -> [B, N, G] -> [B, G, h, w]; the group matrix is
            // [S, G] (shared) or [B, S, G] (per sample: a batched product).
            maps = try probabilities.mean(dims: [1]).matmul(groups).transpose(1, 2)
                .reshape([batch, groups.shape[groups.ndim - 1], height, width])
        }
        let capture = CapturedAttention(name: name, downscale: downscale, maps: maps,
                                        queries: plan.queries ? query : nil,
                                        probabilities: plan.rawProbabilities ? probabilities : nil)
        return (output, capture)
    }
}
