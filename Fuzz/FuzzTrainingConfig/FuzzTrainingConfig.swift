import Foundation
import Training

/// One file per process, rewritten for every input (ConfigResolution reads TOML from a path).
nonisolated(unsafe) let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("spf-fuzz-config-\(ProcessInfo.processInfo.processIdentifier).toml").path

/// libFuzzer entry: any bytes as a TOML run configuration, resolved and validated as `spf train --config` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    _ = try? ConfigResolution.resolve(file: path, overrides: [])
    return 0
}
