import Foundation
import Torch

/// A diffusers pipeline folder: `model_index.json` naming the components, one subfolder each.
public struct DiffusersFolder: Sendable {
    public let path: String
    public let modelIndex: ModelIndex

    /// Opens the folder and reads its model_index.json.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError.missingFolder(path)
        }
        let indexPath = (path as NSString).appendingPathComponent("model_index.json")
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw CheckpointError.missingFile(indexPath, what: "a diffusers pipeline folder's component list")
        }
        self.path = path
        modelIndex = try ModelIndex(data: data, path: indexPath)
    }

    /// The component `name`; it must be listed (not as `[null, null]`) and its folder must exist.
    public func component(_ name: String) throws -> DiffusersComponent {
        let indexPath = (path as NSString).appendingPathComponent("model_index.json")
        guard let entry = modelIndex.components[name], entry.isPresent else {
            throw CheckpointError.missingComponent(name, modelIndex: indexPath, available: modelIndex.presentComponents)
        }
        let folder = (path as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CheckpointError.missingFolder(folder)
        }
        return DiffusersComponent(name: name, path: folder, entry: entry)
    }

    public func component(_ component: CheckpointComponent) throws -> DiffusersComponent {
        try self.component(component.rawValue)
    }

    /// The weights of `component` (see `DiffusersComponent.loadWeights`).
    public func loadWeights(_ component: CheckpointComponent, variant: String? = nil, dtype: DType? = nil,
                            device: Device = .cpu) throws -> [String: Tensor] {
        try self.component(component).loadWeights(variant: variant, dtype: dtype, device: device)
    }
}
