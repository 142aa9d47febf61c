import Torch

/// An `AttentionCaptureSpec` resolved against one model and one call: the layer names to capture and the
/// token-group matrix [S, groups] (entry (s, g) = how many times token s appears in group g), so that each
/// group's map is one matrix product in the graph.
struct CapturePlan {
    let layers: Set<String>
    let groupMatrix: Tensor?
    let queries: Bool
    let rawProbabilities: Bool

    init(spec: AttentionCaptureSpec, layers: Set<String>, tokens: Int, device: Device) throws {
        for (g, group) in spec.tokenGroups.enumerated() {
            guard !group.isEmpty else { throw UNetError("capture: token group \(g) is empty") }
            if let bad = group.first(where: { $0 < 0 || $0 >= tokens }) {
                throw UNetError("capture: token group \(g) has index \(bad), outside the \(tokens) encoder tokens")
            }
        }
        self.layers = layers
        if spec.tokenGroups.isEmpty {
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
}
