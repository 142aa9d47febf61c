import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole content of an image file, with every way a path can fail to be one named in the error.
/// The path is checked with stat(2) before it is opened: opening a FIFO for reading blocks until a writer
/// appears, so a named pipe in a data folder would hang a training run instead of failing it.
enum FileBytes {
    /// No image we read is bigger: a larger file is refused before any of it is read.
    static let maxBytes = 1 << 30

    static func load(_ path: String) throws -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ImageError(path: path, reason(errno)) }
        try requireRegularFile(status, path)
        // O_NONBLOCK: should the path have been swapped for a FIFO since stat, open still returns at once,
        // and the fstat below then refuses it.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw ImageError(path: path, "cannot open: \(reason(errno))") }
        defer { close(descriptor) }
        guard fstat(descriptor, &status) == 0 else { throw ImageError(path: path, "cannot stat: \(reason(errno))") }
        try requireRegularFile(status, path)
        let size = Int(status.st_size)
        guard size > 0 else { throw ImageError(path: path, "empty file (0 bytes)") }
        guard size <= maxBytes else {
            throw ImageError(path: path, "file of \(size) bytes is larger than the \(maxBytes)-byte limit for images")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, size - filled) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ImageError(path: path, "cannot read: \(reason(errno))")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled == size else {
            throw ImageError(path: path, "file shrank from \(size) to \(filled) bytes while being read")
        }
        return bytes
    }

    private static func requireRegularFile(_ status: stat, _ path: String) throws {
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw ImageError(path: path, "is a directory, not an image file")
        case S_IFIFO: throw ImageError(path: path, "is a FIFO (named pipe), not a regular file")
        case S_IFSOCK: throw ImageError(path: path, "is a socket, not a regular file")
        case S_IFCHR, S_IFBLK: throw ImageError(path: path, "is a device, not a regular file")
        default: throw ImageError(path: path, "not a regular file")
        }
    }

    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case ENOTDIR: "no such file (a component of the path is not a directory)"
        case EACCES: "permission denied"
        default: String(cString: strerror(code))
        }
    }
}
