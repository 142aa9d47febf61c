import ArgumentParser
import Foundation
import Imaging
import SafeTensors
import Torch
import ParityTesting
import XCTest

@testable import spf

/// `spf train` end to end: SIGTERM mid-run writes a checkpoint and stops; --resume finishes with exactly the
/// weights of an uninterrupted run; flags and errors.
final class TrainCommandTests: ThreadScopedTestCase {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("StableDiffusionTests/Fixtures/pipe_tiny").path
    var directory: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeData()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    var data: String { directory.appendingPathComponent("data").path }

    func makeData() throws { try Self.writeCaptionSet(at: data, count: 4, step: 7, offset: 50) }

    /// `count` 16x16 images p0.png ... (pixel j of image i is (j * step + i * offset) % 256) and a metadata.jsonl
    /// giving each the caption "a woman, a photo" + "with a red hat".
    static func writeCaptionSet(at data: String, count: Int, step: Int, offset: Int) throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var rows: [String] = []
        for i in 0..<count {
            let pixels = (0..<(16 * 16 * 3)).map { UInt8(($0 * step + i * offset) % 256) }
            try PNGWriter.write(RGBImage(width: 16, height: 16, pixels: pixels), to: data + "/p\(i).png")
            rows.append(#"{"file_name": "p\#(i).png", "base": "a woman, a photo", "target": "with a red hat"}"#)
        }
        try rows.joined(separator: "\n").write(toFile: data + "/metadata.jsonl", atomically: true, encoding: .utf8)
    }

    func arguments(_ out: String, steps: Int = 16) -> [String] {
        ["--model", Self.model, "--data", data, "--out", out, "--steps", "\(steps)", "--batch-size", "2",
         "--learning-rate", "1e-3", "--threads", "1", "--set", "resolution=16", "--set", "checkpoint_every=100",
         "--set", #"lr_schedule="cosine""#, "--set", "warmup_steps=2"]
    }

    func run(_ arguments: [String]) throws {
        var command = try TrainCommand.parse(arguments)
        try command.run()
    }

    func finalWeights(_ out: String) throws -> [String: Tensor] {
        let folder = URL(fileURLWithPath: out).appendingPathComponent("checkpoints")
        let last = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("step-") }.sorted().last
        return try SafeTensors.load(folder.appendingPathComponent(try XCTUnwrap(last)).appendingPathComponent("trainable.safetensors").path)
    }

    func testSIGTERMStopsWithACheckpointAndResumeFinishesExactly() throws {
        let whole = directory.appendingPathComponent("whole").path
        try run(arguments(whole))

        let split = directory.appendingPathComponent("split").path
        let metrics = split + "/metrics.jsonl"
        // Send SIGTERM to this process once three steps are logged.
        let sender = Thread {
            for _ in 0..<6000 {
                if let text = try? String(contentsOfFile: metrics, encoding: .utf8),
                   text.split(separator: "\n").count >= 3 {
                    kill(getpid(), SIGTERM)
                    return
                }
                usleep(5000)
            }
        }
        sender.start()
        XCTAssertThrowsError(try run(arguments(split))) { error in
            XCTAssertEqual((error as? ExitCode)?.rawValue, 128 + SIGTERM, "\(error)")
        }
        let stopped = try FileManager.default.contentsOfDirectory(atPath: split + "/checkpoints").filter { $0.hasPrefix("step-") }
        XCTAssertEqual(stopped.count, 1, "one checkpoint, at the stop: \(stopped)")
        XCTAssertFalse(stopped.contains("step-00000016"), "stopped before the end")
        XCTAssertFalse(FileManager.default.fileExists(atPath: split + "/model"), "no output before the run finishes")

        try run(["--out", split, "--resume", "--threads", "1"])
        let a = try finalWeights(whole), b = try finalWeights(split)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (key, tensor) in a { XCTAssertEqual(try tensor.bytes(), try b[key]?.bytes(), key) }
        XCTAssert(FileManager.default.fileExists(atPath: split + "/model/model_index.json"))
    }

    func testResumeRefusesChangesThatChangeTheMath() throws {
        let out = directory.appendingPathComponent("run").path
        try run(arguments(out, steps: 2))
        XCTAssertThrowsError(try run(["--out", out, "--resume", "--learning-rate", "0.5"])) {
            XCTAssert("\($0)".contains("cannot change when resuming"), "\($0)")
        }
        XCTAssertThrowsError(try run(["--out", out, "--resume", "--overwrite"])) {
            XCTAssert("\($0)".contains("exclude each other"), "\($0)")
        }
        XCTAssertThrowsError(try run(arguments(out, steps: 2))) {
            XCTAssert("\($0)".contains("already holds a run"), "\($0)")
        }
        XCTAssertThrowsError(try run(arguments(out, steps: 2) + ["--set", "nonsense=1"])) {
            XCTAssert("\($0)".contains("field 'nonsense'"), "\($0)")
        }
    }
}
