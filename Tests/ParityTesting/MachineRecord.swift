import Foundation
import Torch

/// What decides the last bit of a float result on a CPU: the processor and its SIMD features (MKL and numpy
/// pick code paths from them), the kernels ATen selected (`ATEN_CPU_CAPABILITY` can change them at start-up)
/// and the MKL / oneDNN builds. `tools/reference/machine_record.py` writes one as `machine.json` beside the
/// fixtures it made; the tests compare it with the running process's to decide between bit-exactness and
/// the per-kind budget (see `Budget`).
public struct MachineRecord: Codable, Equatable, Sendable, CustomStringConvertible {
    public var cpuModel: String
    /// The SIMD features among `MachineRecord.simdFlags` that the CPU reports, sorted.
    public var cpuFlags: [String]
    public var atenCPUCapability: String
    public var torchVersion: String
    public var mkl: String
    public var oneDNN: String
    /// numpy's enabled SIMD features on the recording machine (informative: only Python can read them; on the
    /// running machine they follow from `cpuFlags`, since numpy's version is pinned).
    public var numpySIMD: [String]?
    /// libtorch intra-op threads the fixtures were computed with (multi-threaded reductions split their work
    /// by thread count, so the last bits depend on it).
    public var torchThreads: Int?

    enum CodingKeys: String, CodingKey {
        case cpuModel = "cpu_model", cpuFlags = "cpu_flags", atenCPUCapability = "aten_cpu_capability"
        case torchVersion = "torch_version", mkl, oneDNN = "onednn", numpySIMD = "numpy_simd"
        case torchThreads = "torch_threads"
    }

    /// The /proc/cpuinfo flags that select vectorized kernels in ATen, MKL, oneDNN or numpy. The Python
    /// recorder keeps the same list.
    public static let simdFlags: Set<String> = [
        "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512cd", "avx512bw",
        "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi", "amx_bf16",
        "amx_tile", "amx_int8", "avx_vnni",
    ]

    /// The running process: /proc/cpuinfo and libtorch's own report (at::show_config, which reads the
    /// capability ATen actually dispatches to).
    public static func current() -> MachineRecord {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            for line in cpuinfo.split(separator: "\n") where line.hasPrefix(name) {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
        let flags = (field("flags") ?? "").split(separator: " ").map(String.init).filter(simdFlags.contains)
        let config = LibTorch.buildConfiguration
        return MachineRecord(
            cpuModel: field("model name") ?? "unknown",
            cpuFlags: Array(Set(flags)).sorted(),
            atenCPUCapability: configLine(config, after: "CPU capability usage:") ?? "unknown",
            torchVersion: LibTorch.version,
            mkl: configLine(config, containing: "Math Kernel Library") ?? "none",
            oneDNN: configLine(config, containing: "MKL-DNN") ?? "none",
            numpySIMD: nil, torchThreads: nil)
    }

    /// Whether results on `other` may be required to equal this machine's bit for bit.
    public func sameKernels(as other: MachineRecord) -> Bool {
        cpuModel == other.cpuModel && cpuFlags == other.cpuFlags && atenCPUCapability == other.atenCPUCapability
            && torchVersion.hasPrefix(String(other.torchVersion.prefix { $0 != "+" }))
            && mkl == other.mkl && oneDNN == other.oneDNN
    }

    public var description: String {
        "\(cpuModel) [\(cpuFlags.joined(separator: " "))], ATen \(atenCPUCapability), torch \(torchVersion)"
    }

    /// The text of the show_config line that starts with `prefix` (after "  - "), without the prefix.
    static func configLine(_ config: String, after prefix: String) -> String? {
        for raw in config.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces).drop { $0 == "-" || $0 == " " }
            if line.hasPrefix(prefix) { return line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// The whole show_config line that contains `text` (after "  - ").
    static func configLine(_ config: String, containing text: String) -> String? {
        for raw in config.split(separator: "\n") where raw.contains(text) {
            return String(raw.trimmingCharacters(in: .whitespaces).drop { $0 == "-" || $0 == " " })
        }
        return nil
    }
}
