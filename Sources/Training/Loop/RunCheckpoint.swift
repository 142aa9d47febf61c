import Foundation
import SafeTensors
import Torch

/// Where a run stands, saved with every checkpoint: enough, with the trainable tensors, the optimizer state
/// and the random generators, to continue bit for bit.
public struct RunState: Codable, Equatable, Sendable {
    /// Optimizer steps done.
    public var step: Int
    public var epoch: Int
    public var index: Int
    public var method: String
    public var trainableCount: Int

    enum CodingKeys: String, CodingKey {
        case step, epoch, index, method
        case trainableCount = "trainable_count"
    }
}

/// Checkpoint folders `checkpoints/step-<n>/`: `trainable.safetensors`, `optimizer.safetensors`,
/// `rng.safetensors`, `state.json`, and `ema.safetensors` when the run keeps an average (`ema_decay`). Each is written into a temporary folder that is renamed into place when
/// complete, so a checkpoint either exists whole or not at all; the oldest beyond `keep` are removed.
public enum RunCheckpoint {
    static let prefix = "step-"

    public static func folderName(step: Int) -> String { prefix + String(format: "%08d", step) }

    public static func write(run: RunFolder, state: RunState, trainable: [(name: String, tensor: Tensor)],
                             optimizer: Optimizer, generators: [String: Generator], ema: EMAWeights? = nil,
                             keep: Int) throws -> String {
        let root = run.checkpointsPath
        let folder = (root as NSString).appendingPathComponent(folderName(step: state.step))
        let temporary = folder + ".tmp"
        let manager = FileManager.default
        do {
            try? manager.removeItem(atPath: temporary)
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            func inside(_ name: String) -> String { (temporary as NSString).appendingPathComponent(name) }
            try Tensor.withNoGrad {
                try SafeTensors.save(Dictionary(uniqueKeysWithValues: trainable.map { ($0.name, $0.tensor) }),
                                     metadata: ["method": state.method], to: inside("trainable.safetensors"))
            }
            let optimizerState = try optimizer.stateDict()
            try SafeTensors.save(optimizerState.tensors, metadata: optimizerState.metadata,
                                 to: inside("optimizer.safetensors"))
            try SafeTensors.save(try generators.mapValues { try $0.state() }, to: inside("rng.safetensors"))
            try ema?.save(into: temporary)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: URL(fileURLWithPath: inside("state.json")))
            if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
            try manager.moveItem(atPath: temporary, toPath: folder)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw CheckpointWriteError(path: folder, reason: "\(error)")
        }
        for old in completed(in: run).dropLast(keep) {
            try? manager.removeItem(atPath: (root as NSString).appendingPathComponent(folderName(step: old)))
        }
        return folder
    }

    /// Steps of the complete checkpoints, ascending.
    public static func completed(in run: RunFolder) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.checkpointsPath)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix), !name.hasSuffix(".tmp"),
                  FileManager.default.fileExists(atPath: run.file("checkpoints/\(name)/state.json")) else { return nil }
            return Int(name.dropFirst(prefix.count))
        }.sorted()
    }

    /// Loads a checkpoint into the method's tensors, the optimizer and the generators; returns its state.
    public static func restore(from folder: String, method: TrainingMethod, optimizer: Optimizer,
                               generators: [String: Generator], ema: EMAWeights? = nil) throws -> RunState {
        func inside(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let state: RunState
        do {
            state = try JSONDecoder().decode(RunState.self, from: Data(contentsOf: URL(fileURLWithPath: inside("state.json"))))
        } catch {
            throw ConfigError(source: inside("state.json"), "not a readable checkpoint state (\(error))")
        }
        guard state.method == method.name else {
            throw ConfigError(source: folder, "was written by method '\(state.method)', this run is '\(method.name)'")
        }
        let trainable = method.trainableParameters
        guard state.trainableCount == trainable.count else {
            throw ConfigError(source: folder, "holds \(state.trainableCount) trainable tensors, the method has \(trainable.count)")
        }
        let saved = try SafeTensors.load(inside("trainable.safetensors"))
        for (name, tensor) in trainable {
            guard let value = saved[name] else {
                throw ConfigError(source: inside("trainable.safetensors"), "key '\(name)' is missing")
            }
            guard value.shape == tensor.shape else {
                throw ConfigError(source: inside("trainable.safetensors"),
                                  "key '\(name)' has shape \(value.shape), the model's is \(tensor.shape)")
            }
        }
        try Tensor.withNoGrad { for (name, tensor) in trainable { try tensor.copy_(saved[name]!) } }
        let file = try SafeTensorsFile(path: inside("optimizer.safetensors"))
        try optimizer.load(OptimizerState(tensors: try file.tensors(), metadata: file.metadata))
        let rng = try SafeTensors.load(inside("rng.safetensors"))
        for (name, generator) in generators {
            guard let value = rng[name] else {
                throw ConfigError(source: inside("rng.safetensors"), "generator '\(name)' is missing")
            }
            try generator.setState(value)
        }
        try ema?.restore(from: folder)
        return state
    }
}

public struct CheckpointWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): could not write the checkpoint: \(reason)" }
}
