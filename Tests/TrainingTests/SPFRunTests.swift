import Foundation
import SafeTensors
import Torch
import XCTest
@testable import Training

/// `method = "spf"` through the whole engine: stage 1 then stage 2 in one run, stopped and resumed across the
/// stage boundary (bit-identical to an uninterrupted run), per-term metrics, and stage 2 from a stage-1 run.
final class SPFRunTests: TinyRunTestCase {
    func spfConfig(data: String, out: String, steps: Int) -> TrainingConfig {
        var config = tinyConfig(data: data, out: out, method: .spf, steps: steps)
        config.trainable = .crossAttention
        config.checkpointEvery = 2
        config.spf.sfcmLayers = ["1/2"]
        return config
    }

    func trainable(_ run: String, step: Int) throws -> [String: Tensor] {
        try SafeTensors.load((run as NSString).appendingPathComponent("checkpoints/\(RunCheckpoint.folderName(step: step))/trainable.safetensors"))
    }

    func testBothStagesInOneRunResumeAcrossTheBoundary() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        var config = spfConfig(data: data, out: (root as NSString).appendingPathComponent("whole"), steps: 6)
        config.spf.stage1Steps = 3
        config.cacheDirectory = (root as NSString).appendingPathComponent("cache")
        var session = TrainingSession(config: config)
        var logged: [String] = []
        session.log = { logged.append($0) }
        let whole = try session.run()
        XCTAssertEqual(whole.outcome, .finished(step: 6))
        XCTAssertTrue(logged.contains { $0.contains("L_enh is off") }, "\(logged)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: whole.run.modelPath), "exports a model folder")
        let lines = try String(contentsOfFile: whole.run.metricsPath, encoding: .utf8).split(separator: "\n")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let step = object["step"] as! Int
            let stage2 = object["loss_tc"] != nil
            XCTAssertEqual(stage2, step > 3, "step \(step): \(object.keys.sorted())")
            if stage2 { XCTAssertNotNil(object["loss_fg"]); XCTAssertNotNil(object["sfcm_mean"]) }
        }

        config.out = (root as NSString).appendingPathComponent("split")
        var stopped = TrainingSession(config: config)
        var steps = 0
        stopped.hooks.progress = { _ in steps += 1 }
        stopped.hooks.shouldStop = { steps == 2 }
        XCTAssertEqual(try stopped.run().outcome, .stopped(step: 2))
        let resumed = try TrainingSession(config: config, resume: true).run()
        XCTAssertEqual(resumed.outcome, .finished(step: 6))
        let a = try trainable(whole.run.path, step: 6), b = try trainable(resumed.run.path, step: 6)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (key, tensor) in a { XCTAssertEqual(try tensor.bytes(), try b[key]?.bytes(), key) }
    }

    func testStageTwoFromAStageOneRun() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        var naive = tinyConfig(data: data, out: (root as NSString).appendingPathComponent("stage1"), method: .naive, steps: 3)
        naive.trainable = .crossAttention
        naive.cacheDirectory = (root as NSString).appendingPathComponent("cache")
        _ = try TrainingSession(config: naive).run()

        var config = spfConfig(data: data, out: (root as NSString).appendingPathComponent("stage2"), steps: 2)
        config.initFrom = naive.out
        config.warmupSteps = 0
        config.cacheDirectory = naive.cacheDirectory
        config.spf.lambdaEnh = 0
        let models = try TrainingModels.load(config)
        let method = try SPFMethod(models: models, config: config)
        XCTAssertTrue(method.notes.contains { $0.contains("stage 2 starts from") })
        let stage1 = try trainable(naive.out, step: 3)
        for (name, tensor) in method.trainableParameters {
            XCTAssertEqual(try tensor.bytes(), try stage1[name]?.bytes(), "\(name) loaded from stage 1")
        }
        var session = TrainingSession(config: config)
        session.makeMethod = { _, _ in method }
        XCTAssertEqual(try session.run().outcome, .finished(step: 2))

        config.spf.lora = true
        XCTAssertThrowsError(try SPFMethod(models: TrainingModels.load(config), config: config)) {
            XCTAssert("\($0)".contains("LoRA"), "\($0)")
        }
    }
}
