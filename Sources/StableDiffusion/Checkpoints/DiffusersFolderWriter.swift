import Foundation
import SafeTensors
import Torch

/// Writes diffusers pipeline folders: component weights as safetensors with diffusers' file names, their
/// configs, other files (tokenizer vocabularies), and model_index.json. Every file appears atomically.
public struct DiffusersFolderWriter: Sendable {
    public let path: String

    /// Creates the folder (and its parents) when needed.
    public init(path: String) throws {
        self.path = path
        try Self.makeFolder(path)
    }

    /// Writes `weights` to `<folder>/<component>/<base>[.<variant>].safetensors` (`diffusion_pytorch_model`
    /// for diffusers models, `model` for transformers models) with diffusers' `{"format": "pt"}` metadata,
    /// and `config` as `config.json` beside it when given. Returns the weights path.
    @discardableResult
    public func writeModel(_ weights: [String: Tensor], component: String, library: WeightsLibrary,
                           config: Data? = nil, variant: String? = nil) throws -> String {
        let folder = try componentFolder(component)
        let name = library.weightsBaseName + (variant.map { ".\($0)" } ?? "") + ".safetensors"
        let file = (folder as NSString).appendingPathComponent(name)
        try SafeTensors.save(weights, metadata: ["format": "pt"], to: file)
        if let config { try writeFile(config, component: component, name: "config.json") }
        return file
    }

    /// Writes one SD component's weights under its diffusers name.
    @discardableResult
    public func writeModel(_ weights: [String: Tensor], component: CheckpointComponent, config: Data? = nil,
                           variant: String? = nil) throws -> String {
        try writeModel(weights, component: component.rawValue, library: component.library, config: config, variant: variant)
    }

    /// Writes any file into a component folder (`scheduler_config.json`, `vocab.json`, `merges.txt`, ...).
    public func writeFile(_ data: Data, component: String, name: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CheckpointError.cannotWrite(name, reason: "not a plain file name")
        }
        let file = (try componentFolder(component) as NSString).appendingPathComponent(name)
        try writeAtomically(path: file) { write in try data.withUnsafeBytes { try write($0) } }
    }

    /// Writes model_index.json. Write it last: a folder without it is not taken for a complete pipeline.
    public func writeModelIndex(_ index: ModelIndex) throws {
        let file = (path as NSString).appendingPathComponent("model_index.json")
        let data = try index.jsonData()
        try writeAtomically(path: file) { write in try data.withUnsafeBytes { try write($0) } }
    }

    /// A whole SD pipeline folder: each component's weights (and config when given), the extra files per
    /// component folder, then model_index.json.
    public func writePipeline(modelIndex: ModelIndex, weights: [CheckpointComponent: [String: Tensor]],
                              configs: [String: Data] = [:], files: [String: [String: Data]] = [:],
                              variant: String? = nil) throws {
        for (component, tensors) in weights.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try writeModel(tensors, component: component, config: configs[component.rawValue], variant: variant)
        }
        for (component, config) in configs where CheckpointComponent(rawValue: component).map({ weights[$0] == nil }) ?? true {
            let name = component == "scheduler" ? "scheduler_config.json"
                : component.hasPrefix("tokenizer") ? "tokenizer_config.json" : "config.json"
            try writeFile(config, component: component, name: name)
        }
        for (component, named) in files {
            for (name, data) in named { try writeFile(data, component: component, name: name) }
        }
        try writeModelIndex(modelIndex)
    }

    private func componentFolder(_ component: String) throws -> String {
        guard !component.isEmpty, !component.contains("/"), component != ".", component != ".." else {
            throw CheckpointError.cannotWrite(component, reason: "not a plain component folder name")
        }
        let folder = (path as NSString).appendingPathComponent(component)
        try Self.makeFolder(folder)
        return folder
    }

    private static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.cannotWrite(path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }
}
