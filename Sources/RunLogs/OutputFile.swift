import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written through POSIX calls, one `write(2)` per record and no user-space buffer: once
/// `append` returns, the record is in the kernel and survives a crash of the process (`sync` makes it
/// survive a crash of the machine). Foundation's FileHandle would do, but reports errors only as
/// Objective-C exceptions on some platforms.
final class OutputFile {
    let path: String
    private var descriptor: Int32

    /// Opens `path` for appending; `exclusive` fails if it exists (a new event file never overwrites).
    init(path: String, exclusive: Bool) throws {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (exclusive ? O_EXCL : 0)
        descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            if exclusive && errno == EEXIST { throw OutputFileExists(path: path) }
            throw RunLogsError(path: path, "cannot open for writing: \(errnoText())")
        }
    }

    deinit {
        if descriptor >= 0 { _ = closeDescriptor(descriptor) }
    }

    var isOpen: Bool { descriptor >= 0 }

    func append(_ bytes: [UInt8]) throws {
        guard descriptor >= 0 else { throw RunLogsError(path: path, "the log is closed") }
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RunLogsError(path: path, "write failed: \(errnoText())")
                }
                done += n
            }
        }
    }

    func sync() throws {
        guard descriptor >= 0 else { throw RunLogsError(path: path, "the log is closed") }
        guard fsync(descriptor) == 0 else { throw RunLogsError(path: path, "fsync failed: \(errnoText())") }
    }

    /// Syncs and closes; a second call does nothing.
    func close() throws {
        guard descriptor >= 0 else { return }
        defer { descriptor = -1 }
        let synced = fsync(descriptor) == 0 ? nil : errnoText()
        let closed = closeDescriptor(descriptor) == 0 ? nil : errnoText()
        if let synced { throw RunLogsError(path: path, "fsync failed: \(synced)") }
        if let closed { throw RunLogsError(path: path, "close failed: \(closed)") }
    }
}

/// An exclusive open found the file already there (a new event file's name was taken meanwhile).
struct OutputFileExists: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path): already exists" }
}

/// close(2) under a name the `close()` method does not shadow.
private func closeDescriptor(_ descriptor: Int32) -> Int32 { close(descriptor) }

func errnoText() -> String { String(cString: strerror(errno)) }

/// Creates `directory` and its parents, so that an unwritable location fails when a log is created.
func makeDirectory(_ directory: String, for path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw RunLogsError(path: path, "cannot create folder \(directory): \(error.localizedDescription)")
    }
}
