import Foundation
import RunLogs
import XCTest

/// A run that logs steps 1...10, crashes, and resumes from its step-5 checkpoint logging 6...12, through
/// both writers at once. Set RUNLOGS_SAMPLE_DIR to a new or empty folder to keep the result there, for
/// `tools/check_tensorboard.py DIR/tensorboard` (see docs/decisions.md).
final class ResumeSampleTests: TemporaryDirectoryTestCase {
    func testResumedRunReplacesOrphanedSteps() throws {
        let root = ProcessInfo.processInfo.environment["RUNLOGS_SAMPLE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? directory!
        if root != directory {
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            XCTAssert(existing.isEmpty, "RUNLOGS_SAMPLE_DIR \(root) is not empty")
            guard existing.isEmpty else { return }
        }
        let events = URL(fileURLWithPath: root).appendingPathComponent("tensorboard").path
        let jsonl = URL(fileURLWithPath: root).appendingPathComponent("metrics.jsonl").path

        // First run: values 100 + step. Crashes after step 10 (its last checkpoint was step 5).
        let first = MultiSink([try JSONLMetricsWriter(path: jsonl), try TensorBoardEventWriter(directory: events)])
        for step in 1...10 { try first.log(step: step, ["loss/total": 100 + Double(step), "lr": 1e-4]) }
        try first.close()
        // Resumed run: values 200 + step.
        let resumed = MultiSink([try JSONLMetricsWriter(path: jsonl, resumeFrom: 5),
                                 try TensorBoardEventWriter(directory: events, resumeFrom: 5)])
        for step in 6...12 { try resumed.log(step: step, ["loss/total": 200 + Double(step), "lr": 5e-5]) }
        try resumed.close()

        let expectedLoss: [Double] = (1...12).map { step in Double(step <= 5 ? 100 + step : 200 + step) }
        let expectedLR: [Float] = (1...12).map { step in step <= 5 ? 1e-4 : 5e-5 }
        let series = try TensorBoardView.scalars(in: events)
        XCTAssertEqual(Set(series.keys), ["loss/total", "lr"])
        XCTAssertEqual(series["loss/total"]!.map { $0.step }, (1...12).map { Int64($0) })
        XCTAssertEqual(series["loss/total"]!.map { $0.value }, expectedLoss.map { Float($0) })
        XCTAssertEqual(series["lr"]!.map { $0.value }, expectedLR)

        let lines = try text(jsonl).split(separator: "\n")
        let steps = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(steps.map { $0["step"] as! Int }, Array(1...12))
        XCTAssertEqual(steps.map { $0["loss/total"] as! Double }, expectedLoss)
    }
}
