import Foundation
import Imaging
import ParityTesting
import Torch
import XCTest
@testable import Training

/// Reference fixtures written by tools/reference/train_step_fixtures.py, and the machine that wrote them.
let referenceFixtures = FixtureSet()

/// The tiny diffusers pipeline the StableDiffusion tests use (tools/reference/pipeline_fixtures.py).
let tinyModel = FixtureSet(directory: referenceFixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("StableDiffusionTests/Fixtures")).path("pipe_tiny")

/// A scratch folder removed after the test.
func temporaryFolder(_ test: XCTestCase, _ name: String = "training") throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spf-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// A tiny portrait dataset: `count` deterministic 20x16 PNGs and metadata.jsonl rows in add and replace mode.
func makeDataset(at folder: String, count: Int = 6) throws {
    var lines: [String] = []
    for i in 0..<count {
        var pixels: [UInt8] = []
        for y in 0..<16 {
            for x in 0..<20 {
                pixels += [UInt8((x * 13 + i * 40) % 256), UInt8((y * 17 + i * 25) % 256), UInt8((x * y + i * 7) % 256)]
            }
        }
        let name = "img\(i).png"
        try PNGWriter.write(RGBImage(width: 20, height: 16, pixels: pixels), to: (folder as NSString).appendingPathComponent(name))
        if i % 2 == 0 {
            lines.append(#"{"file_name": "\#(name)", "base": "a woman, in a blue t-shirt", "target": "with a red hat", "mode": "add"}"#)
        } else {
            lines.append(#"{"file_name": "\#(name)", "base": "a man, in a blue t-shirt", "target": "in a green dress", "mode": "replace", "replaces": "in a blue t-shirt"}"#)
        }
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: (folder as NSString).appendingPathComponent("metadata.jsonl"),
                                                     atomically: true, encoding: .utf8)
}

/// A configuration on the tiny model: 16 px images (8x8 latents), batch 2.
func tinyConfig(data: String, out: String, method: FineTuningMethod = .naive, steps: Int = 20) -> TrainingConfig {
    var config = TrainingConfig()
    config.model = tinyModel
    config.data = data
    config.out = out
    config.method = method
    config.steps = steps
    config.batchSize = 2
    config.learningRate = 1e-3
    config.lrSchedule = .cosine
    config.warmupSteps = 3
    config.resolution = 16
    config.checkpointEvery = 4
    config.keepCheckpoints = 2
    config.lora.alpha = 8
    return config
}

/// Runs `config` and stops it after `steps` optimizer steps (the stop-and-resume tests' first half).
func runStopped(_ config: TrainingConfig, after steps: Int) throws -> TrainingSession.Result {
    var session = TrainingSession(config: config)
    var done = 0
    session.hooks.progress = { _ in done += 1 }
    session.hooks.shouldStop = { done == steps }
    return try session.run()
}

/// Base of the tests that train the tiny model end to end (one thread: see `SingleThreadedTestCase`).
typealias TinyRunTestCase = SingleThreadedTestCase
