@testable import SafeTensors

/// libFuzzer entry: any bytes as a whole safetensors file (8-byte length, JSON header, data). Must throw or
/// parse, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let header = try? SafeTensorsHeader(path: "fuzz.safetensors", bytes: bytes) {
        // Whatever was accepted must describe byte ranges inside the file.
        for (_, info) in header.tensors {
            precondition(info.dataOffsets.lowerBound >= 0 && header.dataStart + info.dataOffsets.upperBound <= size)
        }
    }
    return 0
}
