import Foundation
import Torch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors).
public enum SafeTensors {
    /// Every tensor in the file at `path`.
    public static func load(_ path: String, device: Device = .cpu) throws -> [String: Tensor] {
        try SafeTensorsFile(path: path).tensors(device: device)
    }

    /// Writes `tensors` (any device; moved to CPU) and optional string metadata. The file appears
    /// atomically: the bytes go to a temporary file in the same folder, which is renamed into place only
    /// when complete, so a failure never leaves a partial file under `path`.
    public static func save(_ tensors: [String: Tensor], metadata: [String: String]? = nil, to path: String) throws {
        let names = tensors.keys.sorted()
        if let bad = names.first(where: { $0.isEmpty || $0 == "__metadata__" }) {
            throw SafeTensorsError(path: path, tensor: bad, "invalid tensor name")
        }
        var entries: [String] = []
        var blobs: [[UInt8]] = []
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let bytes: [UInt8]
            do {
                bytes = try tensor.bytes()
            } catch {
                throw SafeTensorsError(path: path, tensor: name, "cannot read tensor data: \(error)")
            }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"\(SafeTensorsDType.name(of: tensor.dtype))\","
                + "\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            offset += bytes.count
            blobs.append(bytes)
        }
        if let metadata {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(fields.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        // Pad with spaces to 8-byte alignment, as the reference writer does, so tensor data stays aligned.
        while header.count % 8 != 0 { header.append(0x20) }

        try writeAtomically(path: path) { write in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try write($0) }
            try header.withUnsafeBytes { try write($0) }
            for blob in blobs { try blob.withUnsafeBytes { try write($0) } }
        }
    }

    /// JSON string literal with the escapes RFC 8259 requires.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Writes a file through a temporary sibling and rename(2), fsync'd, so readers see all or nothing.
public func writeAtomically(path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    // rename(2) would replace a device, FIFO or link itself rather than write through it.
    var status = stat()
    if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw SafeTensorsError(path: path, "is not a regular file (a device, FIFO, link or folder); give a file path")
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
        throw SafeTensorsError(path: path, "cannot create \(temporary): \(String(cString: strerror(errno)))")
    }
    var closed = false
    do {
        try body { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SafeTensorsError(path: path, "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        guard fsync(fd) == 0 else {
            throw SafeTensorsError(path: path, "fsync failed: \(String(cString: strerror(errno)))")
        }
        closed = true
        guard close(fd) == 0 else {
            throw SafeTensorsError(path: path, "close failed: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            throw SafeTensorsError(path: path, "cannot rename into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        if !closed { close(fd) }
        unlink(temporary)
        throw error
    }
}
