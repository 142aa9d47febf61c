import Torch

/// An `AttentionCaptureSpec` resolved against one model and one call: the layer names to capture and the
/// token-group matrix, [S, groups] shared by the batch or [B, S, groups] per sample (entry (s, g) = how many
/// times token s appears in group g), so that each group's map is one (batched) matrix product in the graph.
struct CapturePlan {
    let layers: Set<String>
    let groupMatrix: Tensor?
    let queries: Bool
    let rawProbabilities: Bool

    init(spec: AttentionCaptureSpec, layers: Set<String>, batch: Int, tokens: Int, device: Device) throws {
        func check(_ group: [Int], _ label: String) throws {
            if let bad = group.first(where: { $0 < 0 || $0 >= tokens }) {
                throw UNetError("capture: token group \(label) has index \(bad), outside the \(tokens) encoder tokens")
            }
        }
        for (g, group) in spec.tokenGroups.enumerated() {
            guard !group.isEmpty else { throw UNetError("capture: token group \(g) is empty") }
            try check(group, "\(g)")
        }
        self.layers = layers
        if !spec.sampleTokenGroups.isEmpty {
            guard spec.tokenGroups.isEmpty else {
                throw UNetError("capture: give tokenGroups (shared) or sampleTokenGroups (per sample), not both")
            }
            guard spec.sampleTokenGroups.count == batch else {
                throw UNetError("capture: sampleTokenGroups has \(spec.sampleTokenGroups.count) samples, the batch \(batch)")
            }
            let count = spec.sampleTokenGroups[0].count
            guard count > 0 else { throw UNetError("capture: sampleTokenGroups gives no token group") }
            var entries = [Float](repeating: 0, count: batch * tokens * count)
            for (b, groups) in spec.sampleTokenGroups.enumerated() {
                guard groups.count == count else {
                    throw UNetError("capture: sample \(b) has \(groups.count) token groups, sample 0 has \(count) "
                                    + "(pad with empty groups)")
                }
                for (g, group) in groups.enumerated() {
                    try check(group, "\(g) of sample \(b)")
                    for s in group { entries[(b * tokens + s) * count + g] += 1 }
                }
            }
            groupMatrix = try Tensor(entries, shape: [batch, tokens, count], device: device)
        } else if spec.tokenGroups.isEmpty {
            groupMatrix = nil
        } else {
            let count = spec.tokenGroups.count
            var entries = [Float](repeating: 0, count: tokens * count)
            for (g, group) in spec.tokenGroups.enumerated() {
                for s in group { entries[s * count + g] += 1 }
            }
            groupMatrix = try Tensor(entries, shape: [tokens, count], device: device)
        }
        queries = spec.queries
        rawProbabilities = spec.rawProbabilities
    }

    /// The number of groups (the maps' second dimension).
    var groupCount: Int? { groupMatrix.map { $0.shape[$0.ndim - 1] } }
}
