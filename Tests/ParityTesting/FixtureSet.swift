import Foundation
import SafeTensors
import Torch

/// The running process's machine, read once (an immutable global: /proc/cpuinfo and libtorch's report do not
/// change while a test process runs).
public let runningMachine = MachineRecord.current()

/// A folder of reference fixtures written by tools/reference (tests never run Python) and the machine that
/// wrote them (`machine.json`). One type for every test target.
public struct FixtureSet: Sendable {
    public let directory: URL
    /// The recording machine, nil when the folder has no machine.json (then nothing is required bit-exact).
    public let recorded: MachineRecord?

    /// The `Fixtures` folder beside the calling test file.
    public init(besides file: StaticString = #filePath) {
        self.init(directory: URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures"))
    }

    public init(directory: URL) {
        self.directory = directory
        let record = directory.appendingPathComponent("machine.json")
        recorded = (try? Data(contentsOf: record)).flatMap { try? JSONDecoder().decode(MachineRecord.self, from: $0) }
    }

    /// Whether this process runs the kernels that made the fixtures, with the same intra-op thread count (read
    /// now: tests and commands change it), so that results must match bit for bit.
    public var bitExactExpected: Bool {
        guard let recorded, runningMachine.sameKernels(as: recorded) else { return false }
        return recorded.torchThreads.map { $0 == LibTorch.numThreads } ?? true
    }

    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    public func path(_ name: String) -> String { url(name).path }

    /// Every tensor of `<name>.safetensors`.
    public func load(_ name: String) throws -> [String: Tensor] { try SafeTensors.load(path(name + ".safetensors")) }

    /// A JSON file of the folder, parsed.
    public func json(_ name: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: url(name))) }

    /// A JSON file of the folder that holds one object.
    public func jsonObject(_ name: String) throws -> [String: Any] {
        guard let object = try json(name) as? [String: Any] else { throw TorchError("\(name) is not a JSON object") }
        return object
    }
}

extension Dictionary where Key == String, Value == Tensor {
    /// A fixture tensor, throwing with its name when absent.
    public func tensor(_ key: String) throws -> Tensor {
        guard let value = self[key] else { throw TorchError("fixture has no tensor '\(key)'") }
        return value
    }

    /// The tensors under `prefix` with the prefix removed.
    public func stripping(prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: compactMap { key, value in
            key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), value) : nil
        })
    }
}
