import Foundation
import StableDiffusion

/// libFuzzer entry: any bytes as model_index.json; a parsed index must write back and parse again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let index = try? ModelIndex(data: bytes, path: "model_index.json") {
        _ = index.presentComponents
        if let written = try? index.jsonData() {
            precondition((try? ModelIndex(data: written, path: "again")) != nil)
        }
    }
    return 0
}
