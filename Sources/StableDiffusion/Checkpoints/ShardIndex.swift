import Foundation

/// A sharded weights index (`diffusion_pytorch_model.safetensors.index.json`, `model.safetensors.index.json`):
/// `{"metadata": {...}, "weight_map": {"tensor name": "shard file name"}}`.
public struct ShardIndex: Equatable, Sendable {
    /// Tensor name -> shard file name (a plain name inside the index's folder).
    public let weightMap: [String: String]

    /// The shard file names, sorted.
    public var shardFiles: [String] { Array(Set(weightMap.values)).sorted() }

    /// Parses `data` read from `path` (named in errors).
    public init(data: Data, path: String) throws {
        struct Raw: Decodable { let weight_map: [String: String]? }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: data)
        } catch {
            throw CheckpointError.invalidJSON(path, reason: "not a shard index (\(error))")
        }
        guard let map = raw.weight_map, !map.isEmpty else {
            throw CheckpointError.invalidShardIndex(path, reason: "no \"weight_map\" (or an empty one)")
        }
        // Shards must sit beside the index: a path could point anywhere on the machine.
        if let bad = map.first(where: { $0.value.isEmpty || $0.value.contains("/") || $0.value == ".." || $0.value == "." }) {
            throw CheckpointError.invalidShardIndex(path, reason: "tensor '\(bad.key)' maps to '\(bad.value)', not a file name")
        }
        weightMap = map
    }
}
