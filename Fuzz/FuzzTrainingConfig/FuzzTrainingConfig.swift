import Foundation
import Training

/// libFuzzer entry: any bytes as a TOML run configuration, resolved and validated as `spf train --config` does
/// (through the text entry point, so that no file is written per input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(bytes: UnsafeBufferPointer(start: data, count: size), encoding: .utf8) else { return 0 }
    _ = try? ConfigResolution.resolve(toml: (text, "fuzz.toml"), overrides: [])
    return 0
}
