import Foundation
import SafeTensors
import Torch

/// One component folder of a diffusers pipeline (`unet/`, `vae/`, `text_encoder/`, `tokenizer/`, `scheduler/`).
public struct DiffusersComponent: Sendable {
    /// The component's name in model_index.json, which is also its folder name.
    public let name: String
    /// The component folder.
    public let path: String
    /// Its model_index.json entry.
    public let entry: ModelIndex.Entry

    /// `scheduler_config.json` for schedulers, `tokenizer_config.json` for tokenizers, else `config.json`.
    public var configFileName: String {
        let className = entry.className ?? ""
        if className.hasSuffix("Scheduler") || name == "scheduler" { return "scheduler_config.json" }
        if className.contains("Tokenizer") || name.hasPrefix("tokenizer") { return "tokenizer_config.json" }
        return "config.json"
    }

    public var configPath: String { (path as NSString).appendingPathComponent(configFileName) }

    /// The config file's bytes (decode them with the component's Codable configuration).
    public func configData() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: filePath(configFileName)))
    }

    /// The path of the file `name` in the component folder (`vocab.json`, `merges.txt`, ...), which must exist.
    public func filePath(_ name: String) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file) else {
            throw CheckpointError.missingFile(file, what: "the \(self.name) component's \(name)")
        }
        return file
    }

    /// The libraries whose file names to look for: the one model_index.json names first.
    var libraries: [WeightsLibrary] {
        let named = entry.library.flatMap(WeightsLibrary.init(rawValue:))
        return (named.map { [$0] } ?? []) + WeightsLibrary.allCases.filter { $0 != named }
    }

    /// The weights files: `variant` (e.g. "fp16") when given, else the default, else the only variant there is.
    public func weightsFiles(variant: String? = nil) throws -> WeightsFiles {
        try WeightsFiles.find(in: path, libraries: libraries, variant: variant)
    }

    /// Every weight, shards merged into one dictionary; floating-point tensors cast to `dtype` when given.
    public func loadWeights(variant: String? = nil, dtype: DType? = nil, device: Device = .cpu) throws -> [String: Tensor] {
        let weights: [String: Tensor]
        switch try weightsFiles(variant: variant) {
        case .single(let file):
            weights = try SafeTensors.load(file, device: device)
        case .sharded(let index, _):
            weights = try Self.loadShards(index: index, device: device)
        }
        return try weights.mapValues { try LDMCheckpointConverter.cast($0, dtype) }
    }

    /// Loads a sharded checkpoint: every tensor of the weight map from the shard it names; a shard tensor the
    /// map does not list, or lists under another shard, means index and shards disagree.
    static func loadShards(index: String, device: Device) throws -> [String: Tensor] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: index)) } catch {
            throw CheckpointError.missingFile(index, what: "the shard index")
        }
        let shardIndex = try ShardIndex(data: data, path: index)
        let folder = (index as NSString).deletingLastPathComponent
        var weights: [String: Tensor] = [:]
        for shard in shardIndex.shardFiles {
            let shardPath = (folder as NSString).appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw CheckpointError.missingFile(shardPath, what: "a shard named by \(index)")
            }
            let file = try SafeTensorsFile(path: shardPath)
            for name in file.names where shardIndex.weightMap[name] != shard {
                throw CheckpointError.invalidShardIndex(index, reason: "\(shard) holds tensor '\(name)', which the "
                    + "weight map \(shardIndex.weightMap[name].map { "puts in \($0)" } ?? "does not list")")
            }
            for (name, target) in shardIndex.weightMap where target == shard {
                guard file.info(name) != nil else {
                    throw CheckpointError.invalidShardIndex(index, reason: "tensor '\(name)' is not in \(shard)")
                }
                weights[name] = try file.tensor(name, device: device)
            }
        }
        return weights
    }
}
