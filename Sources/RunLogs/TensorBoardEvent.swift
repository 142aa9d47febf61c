/// One `tensorboard.Event` record, restricted to what a metrics log needs. Field numbers are those of
/// tensorboard/compat/proto/event.proto and summary.proto (identical to tensorflow/core/util/event.proto
/// and tensorflow/core/framework/summary.proto), checked against tensorflow/tensorboard's sources:
///
///     message Event {
///       double wall_time = 1;  int64 step = 2;
///       oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5;
///                    LogMessage log_message = 6 [deprecated = true]; SessionLog session_log = 7; ... }
///     }
///     message SessionLog { enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
///                          SessionStatus status = 1; string checkpoint_path = 2; string msg = 3; }
///     message Summary { message Value { string tag = 1; oneof value { float simple_value = 2; ... } }
///                       repeated Value value = 1; }
///
/// (session_log is field 7; field 6 is the deprecated LogMessage.)
public struct TensorBoardEvent: Equatable, Sendable {
    public enum Payload: Equatable, Sendable {
        /// The first event of every file: "brain.Event:2".
        case fileVersion(String)
        /// A summary's scalar (`simple_value`) values by tag; values of other kinds are not read.
        case scalars([String: Float])
        /// A SessionLog; `status` is a `SessionLog.SessionStatus` number (`TensorBoardEvent.sessionStart`).
        case sessionLog(status: Int)
        /// Anything else (graphs, run metadata, ...): present in the file, not interpreted.
        case other
    }

    /// SessionLog.SessionStatus.START.
    public static let sessionStart = 1
    public static let fileVersion = "brain.Event:2"

    public var wallTime: Double
    public var step: Int64
    public var payload: Payload

    public init(wallTime: Double, step: Int64, payload: Payload) {
        self.wallTime = wallTime
        self.step = step
        self.payload = payload
    }

    enum Field {
        static let wallTime = 1, step = 2, fileVersion = 3, summary = 5, sessionLog = 7
        static let summaryValue = 1, valueTag = 1, valueSimpleValue = 2
        static let sessionLogStatus = 1
    }

    /// The serialized Event. Zero wall time and step are left out, as protobuf serializers do for proto3
    /// scalars; tags are written in sorted order so equal events give equal bytes.
    func encoded() -> [UInt8] {
        var event = ProtobufWriter()
        if wallTime != 0 { event.double(Field.wallTime, wallTime) }
        if step != 0 { event.int64(Field.step, step) }
        switch payload {
        case .fileVersion(let version):
            event.string(Field.fileVersion, version)
        case .scalars(let scalars):
            var summary = ProtobufWriter()
            for tag in scalars.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                var value = ProtobufWriter()
                value.string(Field.valueTag, tag)
                value.float(Field.valueSimpleValue, scalars[tag]!)
                summary.bytesField(Field.summaryValue, value.bytes)
            }
            event.bytesField(Field.summary, summary.bytes)
        case .sessionLog(let status):
            var log = ProtobufWriter()
            if status != 0 { log.int64(Field.sessionLogStatus, Int64(status)) }
            event.bytesField(Field.sessionLog, log.bytes)
        case .other:
            break
        }
        return event.bytes
    }

    /// Parses a serialized Event; unknown fields are skipped, as protobuf parsers do.
    init(decoding bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes)
        var wallTime = 0.0
        var step: Int64 = 0
        var payload = Payload.other
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (Field.wallTime, .fixed64(let bits)):
                wallTime = Double(bitPattern: bits)
            case (Field.step, .varint(let bits)):
                step = Int64(bitPattern: bits)
            case (Field.fileVersion, .bytes(let text)):
                payload = .fileVersion(String(decoding: text, as: UTF8.self))
            case (Field.summary, .bytes(let summary)):
                payload = .scalars(try Self.scalars(summary))
            case (Field.sessionLog, .bytes(let log)):
                payload = .sessionLog(status: try Self.status(log))
            case (Field.wallTime, _), (Field.step, _), (Field.fileVersion, _), (Field.summary, _), (Field.sessionLog, _):
                throw ProtobufError(offset: reader.offset, reason: "Event field \(field) has the wrong wire type")
            default:
                continue
            }
        }
        self.init(wallTime: wallTime, step: step, payload: payload)
    }

    private static func scalars(_ bytes: ArraySlice<UInt8>) throws -> [String: Float] {
        var result: [String: Float] = [:]
        var summary = ProtobufReader(bytes)
        while let (field, value) = try summary.next() {
            guard field == Field.summaryValue, case .bytes(let valueBytes) = value else { continue }
            var tag = ""
            var simpleValue: Float?
            var reader = ProtobufReader(valueBytes)
            while let (field, value) = try reader.next() {
                switch (field, value) {
                case (Field.valueTag, .bytes(let text)): tag = String(decoding: text, as: UTF8.self)
                case (Field.valueSimpleValue, .fixed32(let bits)): simpleValue = Float(bitPattern: bits)
                default: continue
                }
            }
            if let simpleValue { result[tag] = simpleValue }
        }
        return result
    }

    private static func status(_ bytes: ArraySlice<UInt8>) throws -> Int {
        var reader = ProtobufReader(bytes)
        var status = 0
        while let (field, value) = try reader.next() {
            if field == Field.sessionLogStatus, case .varint(let raw) = value { status = Int(Int32(truncatingIfNeeded: raw)) }
        }
        return status
    }
}
