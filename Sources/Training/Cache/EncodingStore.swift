import Foundation
import SafeTensors
import Torch

/// One cache file: encoded tensors keyed by the content hash of what was encoded, for one encoder setting
/// (the `descriptor`: model fingerprint, resolution, crop, dtype...). The file name carries the descriptor's
/// hash, so several settings coexist and switching back reuses the old file; the descriptor is also stored
/// as metadata and checked on load. A cache file that cannot be read is rebuilt, never trusted.
final class EncodingStore {
    let path: String
    let descriptor: [String: String]
    private(set) var entries: [String: Tensor] = [:]
    private(set) var added = 0
    /// Why an existing file was not used (for the log), nil when it was or when there was none.
    private(set) var discarded: String?

    init(directory: String, kind: String, descriptor: [String: String]) {
        let key = Fingerprint.of(descriptor.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] })
        path = (directory as NSString).appendingPathComponent("\(kind)-\(key.prefix(16)).safetensors")
        self.descriptor = descriptor
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            let file = try SafeTensorsFile(path: path)
            guard descriptor.allSatisfy({ file.metadata[$0.key] == $0.value }) else {
                discarded = "its settings differ"
                return
            }
            entries = try file.tensors()
        } catch {
            discarded = "\(error)"
        }
    }

    subscript(key: String) -> Tensor? { entries[key] }

    func insert(_ tensor: Tensor, for key: String) {
        entries[key] = tensor
        added += 1
    }

    /// Writes the file atomically when anything was added.
    func saveIfChanged() throws {
        guard added > 0 else { return }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try SafeTensors.save(entries, metadata: descriptor, to: path)
        added = 0
    }
}
