import Crypto
import Foundation

/// SHA-256 content fingerprints: cache keys that change exactly when what they describe changes.
public enum Fingerprint {
    /// Hex SHA-256 of the given strings joined unambiguously (each length-prefixed).
    public static func of(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            let bytes = Array(part.utf8)
            withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        return hex(hasher.finalize())
    }

    /// Hex SHA-256 of bytes.
    public static func of(bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    /// Hex SHA-256 of a file's contents, read in 16 MB chunks. Errors name the file.
    public static func ofFile(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CacheError(path: path, "cannot open to fingerprint it")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk = try handle.read(upToCount: 16 << 20) ?? Data()
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex<D: Digest>(_ digest: D) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// A cache folder or file that cannot be used: names it.
public struct CacheError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

import NN
import Torch

extension Fingerprint {
    /// Hex SHA-256 of a module's parameters as loaded (names, dtypes, shapes and bytes), whatever file format
    /// or folder they came from. One parameter is copied out at a time.
    public static func of(module: any Module) throws -> String {
        var hasher = SHA256()
        for (name, tensor) in module.namedParameters().sorted(by: { $0.name < $1.name }) {
            hasher.update(data: Array("\(name)|\(tensor.dtype)|\(tensor.shape)|".utf8))
            hasher.update(data: try tensor.contiguous().bytes())
        }
        return hex(hasher.finalize())
    }
}
