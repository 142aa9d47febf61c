import Foundation
import RunLogs
import XCTest

final class MultiSinkTests: TemporaryDirectoryTestCase {
    /// A sink that fails every call, to check that the others still get theirs.
    private final class Failing: MetricsSink {
        func log(step: Int, scalars: [String: Double], wallTime: Double) throws { throw RunLogsError(path: "failing", "log") }
        func flush() throws { throw RunLogsError(path: "failing", "flush") }
        func close() throws {}
    }

    func testFansOutToEverySink() throws {
        let jsonl = try JSONLMetricsWriter(path: path("metrics.jsonl"))
        let events = try TensorBoardEventWriter(directory: path("tb"))
        let sink = MultiSink([jsonl, Failing(), events])
        assertThrowsNaming("failing") { try sink.log(step: 1, scalars: ["loss": 0.5], wallTime: 3) }
        assertThrowsNaming("failing") { try sink.flush() }
        try sink.close()
        XCTAssertEqual(try text(jsonl.path), "{\"loss\":0.5,\"step\":1,\"wall_time\":3.0}\n")
        XCTAssertEqual(try TensorBoardEventReader(path: events.path).entries,
                       [TensorBoardEventReader.Entry(wallTime: 3, step: 1, scalars: ["loss": 0.5])])
    }

    func testSeveralFailuresAreAllReported() throws {
        let jsonl = try JSONLMetricsWriter(path: path("metrics.jsonl"))
        let events = try TensorBoardEventWriter(directory: path("tb"))
        let sink = MultiSink([jsonl, events])
        XCTAssertThrowsError(try sink.log(step: -1, ["a": 1])) { error in
            XCTAssertEqual((error as? MultiSinkError)?.errors.count, 2)
            XCTAssert("\(error)".contains(jsonl.path) && "\(error)".contains(events.path), "\(error)")
        }
        try sink.close()
    }
}
