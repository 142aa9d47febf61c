import CLIP
import InputChecks

/// libFuzzer entry: any bytes as a CLIPTextConfig config file, decoded and validated as the loaders do. Must throw a
/// ConfigFileError (or the model's own error) or give a config that passes validation, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    do {
        let config = try ConfigFile.decode(CLIPTextConfig.self, from: bytes, file: "config.json")
        _ = try? ConfigFile.decode(CLIPVisionConfig.self, from: bytes, file: "config.json")
        _ = try? ConfigFile.decode(CLIPConfig.self, from: bytes, file: "config.json")
        _ = config
    } catch {
        _ = "\(error)"
    }
    return 0
}
