import Foundation
import SafeTensors
import StableDiffusion
import Torch
import ParityTesting
import XCTest
@testable import Training

/// Exact resume: a run stopped after 10 steps and resumed ends bit-identical to one that ran 20 steps.
final class ResumeTests: TinyRunTestCase {
    /// The trainable tensors of the run's last checkpoint.
    func finalTensors(_ out: String) throws -> [String: Tensor] {
        let run = RunFolder(path: out)
        let last = try XCTUnwrap(RunCheckpoint.completed(in: run).last)
        return try SafeTensors.load(run.file("checkpoints/\(RunCheckpoint.folderName(step: last))/trainable.safetensors"))
    }

    func assertSameBits(_ a: [String: Tensor], _ b: [String: Tensor], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
        var differing: [String] = []
        for (key, tensor) in a where try tensor.bytes() != b[key]?.bytes() { differing.append(key) }
        XCTAssert(differing.isEmpty, "\(differing.count) tensors differ, e.g. \(differing.sorted().prefix(3))", file: file, line: line)
    }

    func checkResume(_ method: FineTuningMethod) throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        let whole = (root as NSString).appendingPathComponent("whole")
        let split = (root as NSString).appendingPathComponent("split")

        var config = tinyConfig(data: data, out: whole, method: method)
        config.cacheDirectory = (root as NSString).appendingPathComponent("cache")
        config.flip = true
        let first = try TrainingSession(config: config).run()
        XCTAssertEqual(first.outcome, .finished(step: 20))
        XCTAssertEqual(first.report.latentsEncoded, 12, "6 images, plain and mirrored")

        config.out = split
        let interrupted = try runStopped(config, after: 10)
        XCTAssertEqual(interrupted.outcome, .stopped(step: 10))
        XCTAssertEqual(interrupted.report.latentsEncoded, 0, "the shared cache is reused")
        XCTAssertEqual(RunCheckpoint.completed(in: interrupted.run).last, 10, "a checkpoint at the stop")
        XCTAssertFalse(FileManager.default.fileExists(atPath: interrupted.run.modelPath), "no export before the end")

        let resumed = try TrainingSession(config: config, resume: true).run()
        XCTAssertEqual(resumed.outcome, .finished(step: 20))
        try assertSameBits(finalTensors(whole), finalTensors(split))

        // The metrics of the resumed run continue without duplicates.
        let lines = try String(contentsOfFile: resumed.run.metricsPath, encoding: .utf8).split(separator: "\n")
        let loggedSteps = try lines.map { line -> Int in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["step"] as! Int
        }
        XCTAssertEqual(loggedSteps, Array(1...20))
    }

    func testNaiveResumeIsBitIdentical() throws {
        try checkResume(.naive)
        // (The export is checked in ExportTests.)
    }

    func testLoRAResumeIsBitIdentical() throws { try checkResume(.lora) }
}
