/// Sends every call to several sinks (JSON lines and TensorBoard, say). Each call reaches every sink
/// even if an earlier one fails, so one broken log does not silence the others; the failure is then
/// thrown (the sink's own error, or `MultiSinkError` when several failed).
public final class MultiSink: MetricsSink {
    public let sinks: [any MetricsSink]

    public init(_ sinks: [any MetricsSink]) {
        self.sinks = sinks
    }

    public func log(step: Int, scalars: [String: Double], wallTime: Double) throws {
        try each { try $0.log(step: step, scalars: scalars, wallTime: wallTime) }
    }

    public func flush() throws { try each { try $0.flush() } }

    public func close() throws { try each { try $0.close() } }

    private func each(_ body: (any MetricsSink) throws -> Void) throws {
        var errors: [any Error] = []
        for sink in sinks {
            do { try body(sink) } catch { errors.append(error) }
        }
        if errors.count == 1 { throw errors[0] }
        if errors.count > 1 { throw MultiSinkError(errors: errors) }
    }
}

/// Several sinks of a `MultiSink` failed in the same call.
public struct MultiSinkError: Error, CustomStringConvertible {
    public let errors: [any Error]

    public var description: String { errors.map { "\($0)" }.joined(separator: "; ") }
}
