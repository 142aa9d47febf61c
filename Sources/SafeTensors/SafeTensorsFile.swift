import Foundation
import InputChecks
import Torch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file opened by memory-mapping: the header is parsed and validated on open, tensor bytes
/// are read from the mapping only when a tensor is asked for, so a large checkpoint costs no I/O for the
/// tensors that are not used.
public final class SafeTensorsFile {
    public let path: String
    /// The `__metadata__` string map (empty when the file has none).
    public let metadata: [String: String]
    /// Tensor names in file order.
    public let names: [String]

    private let header: SafeTensorsHeader
    private let mapping: UnsafeMutableRawPointer?
    private let size: Int

    public init(path: String) throws {
        self.path = path
        // stat before open and O_NONBLOCK: a FIFO given as a weights file must fail at once, not block in open.
        let fd: Int32
        let fileSize: Int
        do {
            (fd, fileSize) = try InputFile.openRegularFile(path, kind: "a safetensors file")
        } catch let error as InputFileError {
            let isType = error.reason.hasPrefix("is a") || error.reason.hasPrefix("not a regular")
            throw SafeTensorsError(path: path, isType ? "not a regular file (\(error.reason))" : "cannot open: \(error.reason)")
        }
        defer { close(fd) }
        size = fileSize
        if size > 0 {
            let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
            guard let pointer, pointer != MAP_FAILED else {
                throw SafeTensorsError(path: path, "cannot memory-map: \(String(cString: strerror(errno)))")
            }
            mapping = pointer
        } else {
            mapping = nil
        }
        do {
            header = try SafeTensorsHeader(path: path, bytes: UnsafeRawBufferPointer(start: mapping, count: size))
        } catch {
            if let mapping { munmap(mapping, size) }
            throw error
        }
        metadata = header.metadata
        names = header.names
    }

    deinit {
        if let mapping { munmap(mapping, size) }
    }

    public func info(_ name: String) -> TensorInfo? { header.tensors[name] }

    /// Copies one tensor out of the mapping onto `device`.
    public func tensor(_ name: String, device: Device = .cpu) throws -> Tensor {
        guard let info = header.tensors[name] else {
            throw SafeTensorsError(path: path, tensor: name, "no such tensor in the file")
        }
        let start = header.dataStart + info.dataOffsets.lowerBound
        let bytes = UnsafeRawBufferPointer(start: mapping.map { $0 + start }, count: info.dataOffsets.count)
        do {
            return try Tensor(bytes: bytes, shape: info.shape, dtype: info.dtype, device: device)
        } catch {
            throw SafeTensorsError(path: path, tensor: name, "\(error)")
        }
    }

    /// Every tensor, keyed by name.
    public func tensors(device: Device = .cpu) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names { result[name] = try tensor(name, device: device) }
        return result
    }
}
