import Foundation

/// The safetensors file(s) holding one component's weights.
public enum WeightsFiles: Equatable, Sendable {
    /// One file.
    case single(String)
    /// A shard index and its shard files (full paths, sorted).
    case sharded(index: String, shards: [String])

    /// Finds the weights in the component folder `folder`, written by `libraries` (tried in order):
    /// `<base>[.<variant>].safetensors`, else the sharded `<base>.safetensors.index[.<variant>].json`
    /// (diffusers' `_add_variant` names). With no variant asked for and no default file, a variant is used
    /// when it is the only one.
    static func find(in folder: String, libraries: [WeightsLibrary], variant: String?) throws -> WeightsFiles {
        let fm = FileManager.default
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func existing(_ base: String, _ variant: String?) -> WeightsFiles? {
            let single = variant.map { "\(base).\($0).safetensors" } ?? "\(base).safetensors"
            if fm.fileExists(atPath: path(single)) { return .single(path(single)) }
            let index = variant.map { "\(base).safetensors.index.\($0).json" } ?? "\(base).safetensors.index.json"
            if fm.fileExists(atPath: path(index)) { return .sharded(index: path(index), shards: []) }
            return nil
        }
        for library in libraries {
            if let found = existing(library.weightsBaseName, variant) { return try found.withShards() }
        }
        let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        if variant == nil {
            var variants = Set<String>()
            for library in libraries { variants.formUnion(Self.variants(of: library.weightsBaseName, among: names)) }
            if variants.count == 1, let only = variants.first {
                for library in libraries {
                    if let found = existing(library.weightsBaseName, only) { return try found.withShards() }
                }
            }
            if variants.count > 1 { throw CheckpointError.ambiguousVariants(folder: folder, variants: variants.sorted()) }
        }
        // Pickle weights of what was asked for (the variant, or any when no safetensors exist at all).
        let pickles = names.filter { name in
            name.hasSuffix(".bin") && (variant.map { name.contains(".\($0).") || name.contains(".\($0)-") } ?? true)
        }
        let anySafetensors = names.contains { $0.hasSuffix(".safetensors") }
        if let pickle = pickles.first, variant != nil || !anySafetensors {
            throw CheckpointError.pickleWeights(path(pickle))
        }
        let base = libraries[0].weightsBaseName
        let expected = variant.map { "\(base).\($0).safetensors" } ?? "\(base).safetensors"
        throw CheckpointError.missingFile(path(expected), what: variant.map { "the \($0) weights" } ?? "the weights")
    }

    /// Variant names among `names`: `<base>.<v>.safetensors` and `<base>.safetensors.index.<v>.json`, leaving out
    /// the shards of a sharded variant (`<base>.<v>-00001-of-00002.safetensors`).
    static func variants(of base: String, among names: [String]) -> Set<String> {
        var found = Set<String>()
        for name in names {
            var middle: Substring?
            if name.hasPrefix(base + "."), name.hasSuffix(".safetensors") {
                middle = name.dropFirst(base.count + 1).dropLast(".safetensors".count)
            } else if name.hasPrefix(base + ".safetensors.index."), name.hasSuffix(".json") {
                middle = name.dropFirst(base.count + ".safetensors.index.".count).dropLast(".json".count)
            }
            if let middle, !middle.isEmpty, !middle.contains("."), !middle.contains("-of-") { found.insert(String(middle)) }
        }
        return found
    }

    /// A sharded entry with its shard paths read from the index.
    private func withShards() throws -> WeightsFiles {
        guard case .sharded(let index, _) = self else { return self }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: index)) } catch {
            throw CheckpointError.missingFile(index, what: "the shard index")
        }
        let folder = (index as NSString).deletingLastPathComponent
        let shards = try ShardIndex(data: data, path: index).shardFiles.map { (folder as NSString).appendingPathComponent($0) }
        return .sharded(index: index, shards: shards)
    }
}
