import CJPEG

/// Reads baseline and progressive JPEG files (grayscale, YCbCr at any subsampling, CMYK/YCCK) as 8-bit
/// RGB through libjpeg-turbo, decoded the way Pillow's `Image.open(path).convert("RGB")` decodes them
/// (libjpeg's default islow IDCT and fancy upsampling, Adobe-inverted CMYK). No EXIF rotation, no colour
/// management. Truncated or corrupt data is an error, never a gray-padded image (see Sources/CJPEG).
public enum JPEGReader {
    public static func read(_ path: String, maxPixels: Int = ImageFile.defaultMaxPixels) throws -> RGBImage {
        try decode(FileBytes.load(path), path: path, maxPixels: maxPixels)
    }

    /// Decodes JPEG bytes; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String? = nil, maxPixels: Int = ImageFile.defaultMaxPixels) throws -> RGBImage {
        var message = [CChar](repeating: 0, count: Int(CJ_MESSAGE_SIZE))
        var info = cj_info()
        let headerStatus = bytes.withUnsafeBufferPointer { cj_read_info($0.baseAddress, $0.count, &info, &message) }
        guard headerStatus == 0 else { throw ImageError(path: path, "not a readable JPEG: \(text(message))") }
        let width = Int(info.width)
        let height = Int(info.height)
        try ImageFile.checkSize(width: width, height: height, maxPixels: maxPixels, path: path)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let status = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { cj_decode_rgb(source.baseAddress, source.count, $0.baseAddress, $0.count, &message) }
        }
        guard status == 0 else { throw ImageError(path: path, "truncated or corrupt JPEG data: \(text(message))") }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The libjpeg-turbo version this module was built against ("2.1.5").
    public static var libraryVersion: String { String(cString: cj_library_version()) }

    private static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
