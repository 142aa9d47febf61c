import Imaging

/// libFuzzer entry: any bytes as a PNG or JPEG file (told apart by signature), with a pixel limit that keeps a
/// claimed 60000x60000 image from allocating gigabytes. Must throw an ImageError or decode, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let image = try? ImageFile.decode(bytes, path: "fuzz", maxPixels: 1 << 20) {
        precondition(image.width > 0 && image.height > 0 && image.width * image.height <= 1 << 20)
    }
    return 0
}
