import Foundation

/// The layout of one run's folder and the rules that protect it: a folder that already holds a run is
/// never reused unless the run resumes or `overwrite` is given, and an unwritable folder fails before any
/// work starts.
public struct RunFolder: Sendable {
    public let path: String

    public var configPath: String { file("config.json") }
    public var checkpointsPath: String { file("checkpoints") }
    public var metricsPath: String { file("metrics.jsonl") }
    public var tensorboardPath: String { file("tensorboard") }
    public var validationPath: String { file("validation") }
    /// Full or cross-attention tuning: a complete diffusers folder.
    public var modelPath: String { file("model") }
    public var defaultCachePath: String { file("cache") }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public init(path: String) { self.path = path }

    /// Whether the folder holds a run (a saved configuration).
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: configPath) }

    /// Makes the folder ready for a new run or a resumed one. `resume` needs an existing run; `overwrite`
    /// empties a folder that holds one (the latent cache under it survives: it is keyed by content).
    public static func prepare(path: String, resume: Bool, overwrite: Bool) throws -> RunFolder {
        let run = RunFolder(path: path)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw ConfigError(field: "out", source: path, "exists and is not a folder")
        }
        if resume {
            guard run.holdsRun else {
                throw ConfigError(field: "out", source: path, "holds no run to resume (no config.json)")
            }
        } else if run.holdsRun {
            guard overwrite else {
                throw ConfigError(field: "out", source: path,
                                  "already holds a run; give --resume to continue it or --overwrite to start over")
            }
            for name in (try? manager.contentsOfDirectory(atPath: path)) ?? [] where name != "cache" {
                try manager.removeItem(atPath: run.file(name))
            }
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            let probe = run.file(".write-test-\(getpid())")
            guard manager.createFile(atPath: probe, contents: Data()) else { throw CocoaError(.fileWriteNoPermission) }
            try manager.removeItem(atPath: probe)
        } catch {
            throw ConfigError(field: "out", source: path, "cannot write here (\(error.localizedDescription))")
        }
        return run
    }

    /// Writes `data` to `name` atomically (temporary sibling, then rename).
    public func writeAtomically(_ data: Data, to name: String) throws {
        let target = file(name)
        let temporary = target + ".tmp-\(getpid())"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            // rename(2) replaces the target atomically, whether or not it exists.
            guard rename(temporary, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ConfigError(source: target, "cannot write (\(error.localizedDescription))")
        }
    }
}
