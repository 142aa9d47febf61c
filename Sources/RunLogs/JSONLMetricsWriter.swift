import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Metrics as JSON lines, one object per `log` call: `{"step": Int, "wall_time": unix seconds, <name>:
/// value, ...}` with sorted keys and `null` for non-finite values (see `JSONLine`). Each line goes to
/// the file with one write(2), so it is on disk as far as other processes are concerned when `log`
/// returns; `flush()` fsyncs.
///
/// The file is appended to. A last line without its newline is what a crash during a write leaves; it
/// is cut off when the file is opened, so the next line starts clean.
///
/// Resuming: `resumeFrom` is the step of the checkpoint the run restarts from. A crashed run may have
/// logged steps after its last checkpoint, which the resumed run will log again; the file is therefore
/// rewritten first (atomically: temporary sibling, fsync, rename) keeping only the lines with
/// `step <= resumeFrom`, and the resumed run's lines are appended after them.
public final class JSONLMetricsWriter: MetricsSink {
    public let path: String
    private let file: OutputFile

    public init(path: String, resumeFrom resumeStep: Int? = nil) throws {
        self.path = path
        if let resumeStep, resumeStep < 0 {
            throw RunLogsError(path: path, "resume step \(resumeStep) is negative")
        }
        try makeDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path, for: path)
        let existing = try Self.existingContents(path)
        if let existing {
            if let resumeStep {
                try replaceAtomically(path: path, with: try Self.lines(of: existing, upTo: resumeStep, path: path))
            } else if let last = existing.last, last != UInt8(ascii: "\n") {
                let keep = (existing.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
                guard truncate(path, off_t(keep)) == 0 else {
                    throw RunLogsError(path: path, "cannot cut off the unfinished last line: \(errnoText())")
                }
            }
        }
        file = try OutputFile(path: path, exclusive: false)
    }

    public func log(step: Int, scalars: [String: Double], wallTime: Double) throws {
        try MetricsValidation.check(step: step, scalars: scalars, wallTime: wallTime, path: path)
        try file.append(Array((JSONLine.encode(step: step, wallTime: wallTime, scalars: scalars) + "\n").utf8))
    }

    public func flush() throws { try file.sync() }

    public func close() throws { try file.close() }

    /// The file's bytes, or nil when there is no file yet.
    private static func existingContents(_ path: String) throws -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw RunLogsError(path: path, "cannot read the existing log: \(error.localizedDescription)")
        }
    }

    /// The complete lines of `bytes` whose step is at most `resumeStep`. An unfinished last line is
    /// dropped; any other line that is not a JSON object with an integer `step` is an error (it is not
    /// ours to delete).
    static func lines(of bytes: [UInt8], upTo resumeStep: Int, path: String) throws -> [UInt8] {
        struct Record: Decodable { let step: Int }
        var kept: [UInt8] = []
        var start = 0
        var number = 1
        let decoder = JSONDecoder()
        while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = bytes[start..<end]
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else {
                throw RunLogsError(path: path, offset: start,
                                   "line \(number) is not a JSON object with an integer \"step\"; cannot resume")
            }
            if record.step <= resumeStep { kept += bytes[start...end] }
            start = end + 1
            number += 1
        }
        return kept
    }
}
