import Foundation
import RunLogs
import XCTest

final class JSONLMetricsWriterTests: TemporaryDirectoryTestCase {
    func testLinesHaveSortedKeysAndNullForNonFinite() throws {
        let file = path("metrics.jsonl")
        let writer = try JSONLMetricsWriter(path: file)
        try writer.log(step: 3, scalars: ["lr": 1e-05, "loss/total": 0.125, "grad_norm": .nan, "Zeta": 2, "imgs/s": .infinity],
                       wallTime: 1_751_300_000.25)
        try writer.log(step: 4, scalars: ["quote\"key\n": -0.0], wallTime: 7)
        try writer.close()
        XCTAssertEqual(try text(file), """
            {"Zeta":2.0,"grad_norm":null,"imgs/s":null,"loss/total":0.125,"lr":1e-05,"step":3,"wall_time":1751300000.25}
            {"quote\\"key\\n":-0.0,"step":4,"wall_time":7.0}

            """)
        // Every line is valid JSON that reads back to the same numbers.
        for line in try text(file).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertNotNil(object["step"] as? Int)
        }
    }

    func testAppendsAndCutsAnUnfinishedLastLine() throws {
        let file = path("metrics.jsonl")
        try Data("{\"step\":1,\"wall_time\":1.0}\n{\"step\":2,\"wa".utf8).write(to: URL(fileURLWithPath: file))
        let writer = try JSONLMetricsWriter(path: file)
        try writer.log(step: 2, scalars: ["a": 1], wallTime: 2)
        try writer.flush()
        try writer.close()
        XCTAssertEqual(try text(file), "{\"step\":1,\"wall_time\":1.0}\n{\"a\":1.0,\"step\":2,\"wall_time\":2.0}\n")
    }

    func testResumeKeepsStepsUpToTheCheckpoint() throws {
        let file = path("metrics.jsonl")
        let first = try JSONLMetricsWriter(path: file)
        for step in 1...10 { try first.log(step: step, scalars: ["loss": Double(step)], wallTime: Double(step)) }
        try first.close()
        // A torn last line from the crash is dropped as well.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        handle.seekToEndOfFile()
        handle.write(Data("{\"loss\":11.0,\"st".utf8))
        try handle.close()

        let resumed = try JSONLMetricsWriter(path: file, resumeFrom: 5)
        for step in 6...7 { try resumed.log(step: step, scalars: ["loss": 100 + Double(step)], wallTime: 100) }
        try resumed.close()
        let lines = try text(file).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7)
        XCTAssertEqual(lines[4], "{\"loss\":5.0,\"step\":5,\"wall_time\":5.0}")
        XCTAssertEqual(lines[5], "{\"loss\":106.0,\"step\":6,\"wall_time\":100.0}")
        // No temporary file is left beside the log.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["metrics.jsonl"])
    }

    func testResumeWithoutAFileStartsOne() throws {
        let file = path("sub/dir/metrics.jsonl")
        let writer = try JSONLMetricsWriter(path: file, resumeFrom: 3)
        try writer.log(step: 4, scalars: [:], wallTime: 1)
        try writer.close()
        XCTAssertEqual(try text(file), "{\"step\":4,\"wall_time\":1.0}\n")
    }

    func testResumeRefusesAMalformedLine() throws {
        let file = path("metrics.jsonl")
        let original = "{\"step\":1}\nnot json\n{\"step\":2}\n"
        try Data(original.utf8).write(to: URL(fileURLWithPath: file))
        assertThrowsNaming(file, ["at byte 11", "line 2"]) { _ = try JSONLMetricsWriter(path: file, resumeFrom: 1) }
        XCTAssertEqual(try text(file), original, "the file is left as it was")
    }

    func testInvalidCallsAndUnwritableLocation() throws {
        let file = path("metrics.jsonl")
        let writer = try JSONLMetricsWriter(path: file)
        assertThrowsNaming(file, ["negative"]) { try writer.log(step: -2, ["a": 1]) }
        assertThrowsNaming(file, ["reserved"]) { try writer.log(step: 1, ["wall_time": 1]) }
        try writer.close()
        assertThrowsNaming(file, ["closed"]) { try writer.log(step: 1, ["a": 1]) }
        XCTAssertEqual(try text(file), "")

        let location = try unwritableLocation() + "/metrics.jsonl"
        assertThrowsNaming(location, ["cannot create folder"]) { _ = try JSONLMetricsWriter(path: location) }
        assertThrowsNaming(location, ["cannot create folder"]) { _ = try JSONLMetricsWriter(path: location, resumeFrom: 1) }
        assertThrowsNaming(file, ["negative"]) { _ = try JSONLMetricsWriter(path: file, resumeFrom: -1) }
    }
}
