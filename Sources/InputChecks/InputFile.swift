import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an input path cannot be read: the path and what is wrong with it.
public struct InputFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let reason: String
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// Input files opened so that no path can block or surprise the reader: every path is checked with stat(2)
/// before it is opened (opening a FIFO for reading blocks until a writer appears, so a named pipe given as a
/// weights file or a config would hang the program), opened with O_NONBLOCK (should the path be swapped for a
/// FIFO after the stat, open still returns at once) and checked again with fstat on the descriptor. Sizes are
/// bounded before anything is read.
public enum InputFile {
    /// `path` must be an existing regular file; `kind` names what it should be in errors ("a config file").
    public static func requireRegularFile(_ path: String, kind: String = "a file") throws {
        guard !path.isEmpty else { throw InputFileError(path: "''", "an empty path is not \(kind)") }
        var status = stat()
        guard stat(path, &status) == 0 else { throw InputFileError(path: path, reason(errno)) }
        try check(status, path, kind: kind)
    }

    /// Opens a regular file for reading without ever blocking; returns the descriptor (close it) and its size.
    public static func openRegularFile(_ path: String, kind: String = "a file") throws -> (descriptor: Int32, size: Int) {
        try requireRegularFile(path, kind: kind)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw InputFileError(path: path, "cannot open: \(reason(errno))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw InputFileError(path: path, "cannot stat: \(reason(code))")
        }
        do {
            try check(status, path, kind: kind)
        } catch {
            close(descriptor)
            throw error
        }
        return (descriptor, Int(status.st_size))
    }

    /// The whole content of a regular file of at most `maxBytes` bytes (`allowEmpty` false: 0 bytes is an error).
    public static func read(_ path: String, maxBytes: Int, kind: String = "a file", allowEmpty: Bool = false) throws -> [UInt8] {
        let (descriptor, size) = try openRegularFile(path, kind: kind)
        defer { close(descriptor) }
        guard allowEmpty || size > 0 else { throw InputFileError(path: path, "empty file (0 bytes)") }
        guard size <= maxBytes else {
            throw InputFileError(path: path, "file of \(size) bytes is larger than the \(maxBytes)-byte limit for \(kind)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress! + filled, size - filled) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw InputFileError(path: path, "cannot read: \(reason(errno))")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled == size else {
            throw InputFileError(path: path, "file shrank from \(size) to \(filled) bytes while being read")
        }
        return bytes
    }

    /// `read` as Data.
    public static func data(_ path: String, maxBytes: Int, kind: String = "a file", allowEmpty: Bool = false) throws -> Data {
        Data(try read(path, maxBytes: maxBytes, kind: kind, allowEmpty: allowEmpty))
    }

    private static func check(_ status: stat, _ path: String, kind: String) throws {
        switch status.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw InputFileError(path: path, "is a directory, not \(kind)")
        case S_IFIFO: throw InputFileError(path: path, "is a FIFO (named pipe), not a regular file")
        case S_IFSOCK: throw InputFileError(path: path, "is a socket, not a regular file")
        case S_IFCHR, S_IFBLK: throw InputFileError(path: path, "is a device, not a regular file")
        default: throw InputFileError(path: path, "not a regular file")
        }
    }

    /// errno in words, for the common cases without libc's capitalisation.
    public static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case ENOTDIR: "no such file (a component of the path is not a directory)"
        case EACCES: "permission denied"
        case ENAMETOOLONG: "the path is too long"
        case ELOOP: "too many symbolic links"
        default: String(cString: strerror(code))
        }
    }
}

#if canImport(Glibc)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
#elseif canImport(Darwin)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
#endif
