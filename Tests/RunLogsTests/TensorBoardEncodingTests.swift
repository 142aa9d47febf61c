@testable import RunLogs
import XCTest

/// Our hand-encoded Events and TFRecord framing are byte-identical to what the official protobuf
/// library and tensorboard's RecordWriter produce. The expected bytes were printed by (tensorboard 2.21.0,
/// protobuf 7.36.2, in .venv-reference):
///
///     from tensorboard.compat.proto import event_pb2, summary_pb2
///     from tensorboard.summary.writer.record_writer import RecordWriter
///     e = event_pb2.Event(wall_time=1751300000.5, step=10, summary=summary_pb2.Summary(value=[
///         summary_pb2.Summary.Value(tag="loss", simple_value=0.25),
///         summary_pb2.Summary.Value(tag="lr", simple_value=1e-5)]))
///     s = event_pb2.Event(wall_time=1751300000.5, step=6,
///                         session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
///     f = event_pb2.Event(wall_time=1751300000.5, file_version="brain.Event:2")
///     for ev in (f, s, e): b = io.BytesIO(); RecordWriter(b).write(ev.SerializeToString()); print(b.getvalue().hex())
final class TensorBoardEncodingTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func testFileVersionRecord() {
        let event = TensorBoardEvent(wallTime: 1_751_300_000.5, step: 0, payload: .fileVersion("brain.Event:2"))
        XCTAssertEqual(hex(TFRecord.frame(event.encoded())),
                       "1800000000000000a37f4b2209000020e8ad18da411a0d627261696e2e4576656e743a3211fe10ae")
    }

    func testSessionStartRecord() {
        let event = TensorBoardEvent(wallTime: 1_751_300_000.5, step: 6, payload: .sessionLog(status: TensorBoardEvent.sessionStart))
        XCTAssertEqual(hex(TFRecord.frame(event.encoded())),
                       "0f000000000000006d532b0909000020e8ad18da4110063a020801a0aae666")
    }

    func testScalarRecord() {
        let event = TensorBoardEvent(wallTime: 1_751_300_000.5, step: 10, payload: .scalars(["lr": 1e-5, "loss": 0.25]))
        XCTAssertEqual(hex(TFRecord.frame(event.encoded())),
                       "2500000000000000eabc36f309000020e8ad18da41100a2a180a0b0a046c6f7373150000803e0a090a026c7215acc52737ca35d86d")
    }

    func testEventsDecodeBack() throws {
        let events = [
            TensorBoardEvent(wallTime: 1.25, step: 0, payload: .fileVersion("brain.Event:2")),
            TensorBoardEvent(wallTime: 2.5, step: 7, payload: .sessionLog(status: 1)),
            TensorBoardEvent(wallTime: 3, step: Int64.max, payload: .scalars(["a": .nan, "b/c": -.infinity, "é": 0])),
        ]
        for event in events {
            let decoded = try TensorBoardEvent(decoding: event.encoded()[...])
            XCTAssertEqual(decoded.wallTime, event.wallTime)
            XCTAssertEqual(decoded.step, event.step)
            if case .scalars(let values) = decoded.payload {
                XCTAssert(values["a"]!.isNaN)
                XCTAssertEqual(values["b/c"], -.infinity)
                XCTAssertEqual(values["é"], 0)
            } else {
                XCTAssertEqual(decoded.payload, event.payload)
            }
        }
    }
}
