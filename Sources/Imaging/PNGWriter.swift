import CZlib
import Foundation

/// Writes 8-bit RGB PNG files with tEXt chunks (prompt, seed, ...), as PNG 1.2 specifies: signature,
/// IHDR, tEXt, IDAT (zlib stream of filter-type-0 scanlines), IEND, each chunk with its CRC-32.
/// Written directly over zlib rather than libpng: libpng reports errors by longjmp, which Swift cannot
/// catch safely, and its simplified API cannot write text chunks.
public enum PNGWriter {
    public static func encode(_ image: RGBImage, text: [(key: String, value: String)] = []) throws -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header += bigEndian(UInt32(image.width))
        header += bigEndian(UInt32(image.height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &png)
        for (key, value) in text {
            // tEXt keywords are 1-79 Latin-1 characters; values are Latin-1 too, so non-Latin-1 text goes
            // into an iTXt chunk (UTF-8) instead.
            guard (1...79).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) else {
                throw ImageError(path: nil, "invalid PNG text keyword '\(key)'")
            }
            if value.unicodeScalars.allSatisfy({ $0.value < 256 && $0.value != 0 }) {
                appendChunk("tEXt", Array(key.utf8) + [0] + value.unicodeScalars.map { UInt8($0.value) }, to: &png)
            } else {
                appendChunk("iTXt", Array(key.utf8) + [0, 0, 0, 0, 0] + Array(value.utf8), to: &png)
            }
        }
        var raw = [UInt8]()
        raw.reserveCapacity((image.width * 3 + 1) * image.height)
        let stride = image.width * 3
        for row in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(row * stride)..<((row + 1) * stride)]
        }
        appendChunk("IDAT", try deflate(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// Encodes and writes atomically (temporary file, then rename): no partial PNG is ever left at `path`.
    public static func write(_ image: RGBImage, text: [(key: String, value: String)] = [], to path: String) throws {
        let bytes = try encode(image, text: text)
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temporary)
            // rename(2) replaces an existing file atomically.
            guard rename(temporary.path, path) == 0 else {
                throw ImageError(path: path, "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch let error as ImageError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ImageError(path: path, "cannot write: \(error.localizedDescription)")
        }
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        var crc = crc32(0, nil, 0)
        crc = typeBytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        png += bigEndian(UInt32(crc))
    }

    private static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                compress2(destination.baseAddress, &length, source.baseAddress, uLong(source.count), 6)
            }
        }
        guard status == Z_OK else { throw ImageError(path: nil, "zlib compression failed (\(status))") }
        return Array(output.prefix(Int(length)))
    }
}
