/// The image formats we read, told apart by their first bytes (never by the file's extension: photo
/// collections are full of PNGs named .jpg).
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg

    /// The format whose signature starts `bytes`, nil for anything else.
    public init?(signature bytes: some Collection<UInt8>) {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {  // SOI, then the first marker's 0xFF
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// The one entry point for image input: reads a PNG or JPEG file as 8-bit RGB, whatever its name.
public enum ImageFile {
    /// The most pixels an image may have: Pillow's DecompressionBombError threshold (2 * 89,478,485), so
    /// we refuse exactly the images Pillow refuses. Checked from the header, before any pixel memory is
    /// allocated; a corrupt header that claims 60000x60000 fails here rather than allocating 10 GB.
    public static let defaultMaxPixels = 178_956_970

    /// Reads `path` (a regular file, checked before opening) and decodes it by its signature.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        try decode(FileBytes.load(path), path: path, maxPixels: maxPixels)
    }

    /// Decodes PNG or JPEG bytes; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String? = nil, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError(path: path, "empty file (0 bytes)") }
        switch ImageFormat(signature: bytes) {
        case .png: return try PNGReader.decode(bytes, path: path, maxPixels: maxPixels)
        case .jpeg: return try JPEGReader.decode(bytes, path: path, maxPixels: maxPixels)
        case nil:
            let start = bytes.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            throw ImageError(path: path, "unknown image format: neither PNG nor JPEG (first bytes \(start))")
        }
    }

    /// Refuses sizes no real image has, before the caller allocates width * height * 3 bytes.
    static func checkSize(width: Int, height: Int, maxPixels: Int, path: String?) throws {
        guard width > 0, height > 0 else { throw ImageError(path: path, "image header says \(width)x\(height): empty") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw ImageError(path: path, "image of \(width)x\(height) pixels exceeds the limit of \(maxPixels) pixels "
                             + "(a corrupt header or a decompression bomb)")
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
