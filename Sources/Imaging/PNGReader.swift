import CLibPNG
import Foundation

/// Reads PNG files of any colour type and bit depth as 8-bit RGB, through libpng's simplified API (which
/// reports errors in a message rather than by longjmp), and their text chunks. Files are read whole through
/// the same checks as every image input (regular file, size limits) and decoded from memory.
public enum PNGReader {
    public static func read(_ path: String, maxPixels: Int = ImageFile.defaultMaxPixels) throws -> RGBImage {
        try decode(FileBytes.load(path), path: path, maxPixels: maxPixels)
    }

    /// Decodes PNG bytes; `path` only names the source in errors. The size is checked from IHDR before
    /// the pixel buffer is allocated.
    public static func decode(_ bytes: [UInt8], path: String? = nil, maxPixels: Int = ImageFile.defaultMaxPixels) throws -> RGBImage {
        try bytes.withUnsafeBytes { source in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, source.baseAddress, source.count) != 0 else {
                throw ImageError(path: path, "not a readable PNG: \(message(of: image))")
            }
            let width = Int(image.width)
            let height = Int(image.height)
            do {
                try ImageFile.checkSize(width: width, height: height, maxPixels: maxPixels, path: path)
            } catch {
                png_image_free(&image)
                throw error
            }
            image.format = UInt32(PNG_FORMAT_RGB)
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else {
                png_image_free(&image)
                throw ImageError(path: path, "broken PNG data: \(message(of: image))")
            }
            return try RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    /// The tEXt and iTXt (uncompressed) key/value pairs, in file order.
    public static func text(_ path: String) throws -> [(key: String, value: String)] {
        let bytes = try FileBytes.load(path)
        guard ImageFormat(signature: bytes) == .png else { throw ImageError(path: path, "not a PNG file") }
        var result: [(key: String, value: String)] = []
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let start = offset + 8
            guard start + length + 4 <= bytes.count else { throw ImageError(path: path, "truncated \(type) chunk") }
            let body = Array(bytes[start..<(start + length)])
            if let zero = body.firstIndex(of: 0) {
                let key = String(decoding: body[..<zero], as: UTF8.self)
                if type == "tEXt" {
                    result.append((key, String(body[(zero + 1)...].map { Character(Unicode.Scalar($0)) })))
                } else if type == "iTXt", body.count >= zero + 3, body[zero + 1] == 0 {
                    // Skip compression method, language tag and translated keyword (each NUL-terminated).
                    var cursor = zero + 3
                    for _ in 0..<2 {
                        guard let end = body[cursor...].firstIndex(of: 0) else { break }
                        cursor = end + 1
                    }
                    result.append((key, String(decoding: body[cursor...], as: UTF8.self)))
                }
            }
            if type == "IEND" { break }
            offset = start + length + 4
        }
        return result
    }

    private static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
