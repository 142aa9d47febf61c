import Foundation

/// Where the training engine sends its scalars (loss terms, learning rate, gradient norm, step time,
/// images/s) every N optimizer steps. Implementations write as they go, so a crash loses at most the
/// call in progress; `flush()` makes what was written durable (fsync); `close()` flushes and releases the
/// file, after which `log` throws.
///
/// Sinks are not thread-safe: log from one thread (the training loop).
public protocol MetricsSink: AnyObject {
    /// Records `scalars` (name -> value) at optimizer step `step` (>= 0), timestamped `wallTime` (unix
    /// seconds). Names must be non-empty and not `step` or `wall_time` (the JSON lines' own keys).
    func log(step: Int, scalars: [String: Double], wallTime: Double) throws
    func flush() throws
    func close() throws
}

extension MetricsSink {
    /// `log` stamped with the current time.
    public func log(step: Int, _ scalars: [String: Double]) throws {
        try log(step: step, scalars: scalars, wallTime: Date().timeIntervalSince1970)
    }
}

/// The checks every sink applies, so that a `MultiSink` accepts or rejects a call the same way in all
/// of its sinks (a step only one of two logs has is worse than an error).
enum MetricsValidation {
    static let reservedNames: Set<String> = ["step", "wall_time"]

    static func check(step: Int, scalars: [String: Double], wallTime: Double, path: String) throws {
        guard step >= 0 else { throw RunLogsError(path: path, "step \(step) is negative") }
        guard wallTime.isFinite else { throw RunLogsError(path: path, "wall time \(wallTime) is not finite") }
        for name in scalars.keys {
            guard !name.isEmpty else { throw RunLogsError(path: path, "a scalar has an empty name") }
            guard !reservedNames.contains(name) else {
                throw RunLogsError(path: path, "scalar name '\(name)' is reserved for the record's own field")
            }
        }
    }
}
