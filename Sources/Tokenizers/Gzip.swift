import CZlib
import Foundation

/// Whole-file gzip decompression through zlib (the open_clip vocabulary ships as a .gz).
public enum Gzip {
    /// No vocabulary is bigger once decompressed (open_clip's is 1.4 MB); a gzip bomb stops here.
    static let maxOutput = 256 << 20

    public static func decompress(_ data: Data, path: String) throws -> Data {
        guard !data.isEmpty else { throw TokenizerError.malformedFile(path: path, reason: "empty file, not gzip") }
        var stream = z_stream()
        // 15 + 16: a gzip wrapper is required (a plain or zlib stream is an error, not silently accepted).
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TokenizerError.unreadableFile(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress!)
            stream.avail_in = uInt(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(chunk, count: chunk.count - Int(stream.avail_out))
                guard output.count <= maxOutput else {
                    throw TokenizerError.malformedFile(path: path, reason: "decompresses to more than \(maxOutput) bytes")
                }
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Concatenated gzip members are one file to gzip.open; read them all.
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw TokenizerError.malformedFile(path: path, reason: "bad gzip member")
                    }
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw TokenizerError.malformedFile(path: path, reason: "truncated gzip data")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw TokenizerError.malformedFile(path: path, reason: "not valid gzip data (\(message))")
                }
            }
        }
        return output
    }
}
