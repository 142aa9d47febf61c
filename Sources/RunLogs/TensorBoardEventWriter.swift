import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Metrics as a TensorBoard event file in `directory`: TFRecord-framed `tensorflow.Event` protobufs,
/// encoded here by hand (`TensorBoardEvent`, `TFRecord`). Every `log` call is one Event whose Summary
/// holds each scalar as a `simple_value` (float32: values are rounded to Float, NaN and infinities kept
/// as such — TensorBoard plots them as gaps/markers), written with one write(2).
///
/// A new file is started for every writer. It opens with the file_version event and a
/// `SessionLog { status: START }` event at the step where this run's logging begins:
/// - a fresh run: step 0;
/// - `resumeFrom: s` (the step of the checkpoint the run restarts from): step s + 1.
/// TensorBoard treats a START as a restart and discards previously read events whose step is >= the
/// START's step (event_accumulator.py `_CheckForRestartAndMaybePurge` / `_Purge`, which keeps
/// `x.step < event.step`), so steps a crashed run logged after its checkpoint disappear and the resumed
/// run's values replace them. plugin_event_accumulator.py (TensorBoard's `--load_fast=false` loader)
/// ignores the first START of a run as its "initial" start, which is why a fresh run writes one too; the
/// Rust data server (`--load_fast=true|auto`) ignores SessionLog but drops, per tag, every earlier value
/// with a step >= each newly read value's step, which gives the same result. All three need the resumed
/// file to be read after the old ones, which `EventFileName` guarantees.
public final class TensorBoardEventWriter: MetricsSink {
    /// The event file this writer appends to.
    public let path: String
    private let file: OutputFile

    /// Creates the folder if needed and a new event file in it, and writes the file_version and START
    /// events, so that an unwritable folder fails here and not at the first `log`.
    public init(directory: String, resumeFrom resumeStep: Int? = nil) throws {
        if let resumeStep, resumeStep < 0 || resumeStep == Int.max {
            throw RunLogsError(path: directory, "resume step \(resumeStep) is out of range")
        }
        try makeDirectory(directory, for: directory)
        let now = Date().timeIntervalSince1970
        var attempt = 0
        while true {
            let existing: [String]
            do {
                existing = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw RunLogsError(path: directory, "cannot list the folder: \(error.localizedDescription)")
            }
            guard let name = EventFileName.make(seconds: Int(now), host: Self.hostName(), pid: getpid(), existing: existing) else {
                throw RunLogsError(path: directory, "cannot name a new event file that sorts after the folder's existing ones")
            }
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            do {
                file = try OutputFile(path: path, exclusive: true)
                self.path = path
                break
            } catch is OutputFileExists where attempt < 10 {
                attempt += 1  // another writer took the name between listing and creating: list again
            }
        }
        try write(TensorBoardEvent(wallTime: now, step: 0, payload: .fileVersion(TensorBoardEvent.fileVersion)))
        let startStep = resumeStep.map { $0 + 1 } ?? 0
        try write(TensorBoardEvent(wallTime: now, step: Int64(startStep), payload: .sessionLog(status: TensorBoardEvent.sessionStart)))
    }

    public func log(step: Int, scalars: [String: Double], wallTime: Double) throws {
        try MetricsValidation.check(step: step, scalars: scalars, wallTime: wallTime, path: path)
        try write(TensorBoardEvent(wallTime: wallTime, step: Int64(step), payload: .scalars(scalars.mapValues { Float($0) })))
    }

    public func flush() throws { try file.sync() }

    public func close() throws { try file.close() }

    private func write(_ event: TensorBoardEvent) throws {
        try file.append(TFRecord.frame(event.encoded()))
    }

    /// gethostname(2); "localhost" if it fails. (ProcessInfo.hostName may do a DNS lookup.)
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: "/", with: "_")
    }
}
