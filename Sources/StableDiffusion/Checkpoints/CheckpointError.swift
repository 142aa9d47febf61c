/// Why a checkpoint (a diffusers folder, a single-file checkpoint, or weights being written) cannot be used.
/// Every case names the file, folder or tensor at fault.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A folder that should exist does not.
    case missingFolder(String)
    /// A file that should exist does not; `what` says what it was needed for.
    case missingFile(String, what: String)
    /// `model_index.json` does not list the component (or lists it as `[null, null]`).
    case missingComponent(String, modelIndex: String, available: [String])
    /// Only pickle (`.bin`) weights were found: not supported.
    case pickleWeights(String)
    /// Several weight variants and no default: the caller must choose one.
    case ambiguousVariants(folder: String, variants: [String])
    /// A JSON file (model_index.json, config, shard index) that cannot be used.
    case invalidJSON(String, reason: String)
    /// A shard index whose weight map disagrees with its shard files.
    case invalidShardIndex(String, reason: String)
    /// Keys of a single-file checkpoint that the conversion does not know (all of them, sorted).
    case unknownKeys([String])
    /// Keys the conversion needs for `component` that the checkpoint lacks (all of them, sorted).
    case missingKeys(component: String, [String])
    /// A tensor whose shape or type the conversion cannot use.
    case invalidTensor(String, reason: String)
    /// A layout (block channels, layers) that describes no valid model.
    case invalidLayout(String)
    /// A file or folder that cannot be written.
    case cannotWrite(String, reason: String)

    public var description: String {
        switch self {
        case .missingFolder(let path): return "\(path): no such folder"
        case .missingFile(let path, let what): return "\(path): no such file (\(what))"
        case .missingComponent(let name, let index, let available):
            return "\(index): no component '\(name)' (components: \(available.sorted().joined(separator: ", ")))"
        case .pickleWeights(let path):
            return "\(path): pickle (.bin) weights are not supported; convert them to safetensors "
                + "(for example: load with torch and save with safetensors.torch.save_file, or save_pretrained "
                + "with safe_serialization=True)"
        case .ambiguousVariants(let folder, let variants):
            return "\(folder): several weight variants (\(variants.sorted().joined(separator: ", "))) and no default; "
                + "ask for one of them"
        case .invalidJSON(let path, let reason): return "\(path): \(reason)"
        case .invalidShardIndex(let path, let reason): return "\(path): \(reason)"
        case .unknownKeys(let keys):
            return "unknown checkpoint key '\(keys.first ?? "")'" + Self.more(keys)
                + " (not a weight of the LDM layout being converted: another layout, or not an SD 1.x checkpoint?)"
        case .missingKeys(let component, let keys):
            return "missing checkpoint key '\(keys.first ?? "")' for the \(component)" + Self.more(keys)
        case .invalidTensor(let key, let reason): return "tensor '\(key)': \(reason)"
        case .invalidLayout(let reason): return "invalid layout: \(reason)"
        case .cannotWrite(let path, let reason): return "\(path): cannot write (\(reason))"
        }
    }

    private static func more(_ keys: [String]) -> String {
        guard keys.count > 1 else { return "" }
        let shown = keys.dropFirst().prefix(8).joined(separator: ", ")
        return " and \(keys.count - 1) more (\(shown)\(keys.count > 9 ? ", ..." : ""))"
    }
}
