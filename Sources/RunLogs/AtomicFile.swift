import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces the file at `path` with `bytes` so that readers (and a crash) see the old file or the new
/// one, never a mix: the bytes go to a temporary sibling, which is fsync'd and renamed over `path`.
/// The same scheme as `SafeTensors.writeAtomically`, repeated here because this module must not depend
/// on Torch.
public func replaceAtomically(path: String, with bytes: [UInt8]) throws {
    // rename(2) would replace a device, FIFO or link itself (as root, `--json /dev/null` would turn /dev/null
    // into a regular file), so only a missing path or a regular file is replaced.
    var status = stat()
    if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw RunLogsError(path: path, "is not a regular file (a device, FIFO, link or folder); give a file path")
    }
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
    do {
        let file = try OutputFile(path: temporary, exclusive: true)
        try file.append(bytes)
        try file.close()  // fsyncs before closing
    } catch {
        unlink(temporary)
        throw RunLogsError(path: path, "cannot write the replacement \(temporary): \(error)")
    }
    guard rename(temporary, path) == 0 else {
        let reason = errnoText()
        unlink(temporary)
        throw RunLogsError(path: path, "cannot rename the replacement into place: \(reason)")
    }
}
