@testable import Training

/// libFuzzer entry: each line of the input as one row of a dataset's metadata.jsonl. Must throw a row error or
/// give a record, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (number, line) in text.split(separator: "\n").enumerated() {
        _ = try? MetadataFile.parse(String(line), number: number + 1)
    }
    return 0
}
