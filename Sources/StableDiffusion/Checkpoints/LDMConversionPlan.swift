/// What converting a single-file checkpoint will do, decided from its key names alone (so it can come from
/// a safetensors header without reading any tensor).
public struct LDMConversionPlan: Sendable {
    /// For each component asked for, where each of its diffusers tensors comes from.
    public let mappings: [CheckpointComponent: [LDMTensorMapping]]
    /// Keys of the checkpoint that are known but not converted, sorted: LatentDiffusion's schedule buffers,
    /// the EMA (or non-EMA) copy of the UNet, position_ids, components not asked for.
    public let ignoredKeys: [String]

    /// The diffusers names `component` will have, sorted (empty when it was not asked for).
    public func diffusersKeys(_ component: CheckpointComponent) -> [String] {
        (mappings[component] ?? []).map(\.target).sorted()
    }
}
