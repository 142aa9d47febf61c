import Foundation
import Imaging
import SafeTensors
import StableDiffusion
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
        XCTAssertEqual(try runStopped(config, after: 2).outcome, .stopped(step: 2))
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

    /// Validation grids of an SPF run: a caption prompt's row is the original model on the base text (rendered by
    /// the reference path, so it is the original even though stage 2 starts from stage 1's weights), the current
    /// model on the full and on the base text, and the SFCM and target-attention heat maps; a plain prompt's row
    /// stays original | current.
    func testValidationGridsShowTheSPFColumns() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        var naive = tinyConfig(data: data, out: (root as NSString).appendingPathComponent("stage1"), method: .naive, steps: 3)
        naive.trainable = .crossAttention
        naive.learningRate = 1e-2
        _ = try TrainingSession(config: naive).run()

        var config = spfConfig(data: data, out: (root as NSString).appendingPathComponent("stage2"), steps: 2)
        config.initFrom = naive.out
        config.spf.lambdaEnh = 0
        config.warmupSteps = 0
        config.validationEvery = 2
        config.validationSteps = 2
        let caption = try PortraitCaption(base: "a man, a photo", target: "with a red hat", mode: .add, replaces: nil)
        config.validationPrompts = [ValidationPrompt(caption), "a woman"]
        XCTAssertEqual(try TrainingSession(config: config).run().outcome, .finished(step: 2))

        let folder = RunFolder(path: config.out).validationPath
        let grid = try ImageFile.read(path: folder + "/step-00000002.png")
        XCTAssertEqual([grid.width, grid.height], [5 * 16 + 6 * 2, 2 * 16 + 3 * 2])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(folder + "/step-00000002.png").map { ($0.key, $0.value) })
        XCTAssertEqual(text["columns"]?.contains("SFCM M at t=500"), true, text["columns"] ?? "")
        XCTAssertEqual(text["prompt 0"], "a man, a photo + with a red hat")
        func cell(_ row: Int, _ column: Int) -> [UInt8] {
            var values: [UInt8] = []
            for y in 0..<16 {
                let start = ((2 + row * 18 + y) * grid.width + 2 + column * 18) * 3
                values += grid.pixels[start..<(start + 48)]
            }
            return values
        }
        XCTAssertNotEqual(cell(0, 3), cell(0, 1), "M is drawn over the full-text image")
        XCTAssertNotEqual(cell(0, 4), cell(0, 3), "the target's attention is another map")
        XCTAssertEqual(Set(cell(1, 2)), [255], "a plain prompt's row has two cells")

        // The originals are the original model's images, not stage 1's.
        let original = try StableDiffusionPipeline.load(path: tinyModel)
        func render(_ prompt: String, seed: UInt64) throws -> [UInt8] {
            var options = GenerationOptions(prompt: prompt, seed: seed, steps: 2, height: 16, width: 16)
            options.guidanceScale = config.validationGuidance
            return try Tensor.withNoGrad { try RGBImage(tensor: original.generate(options).select(dim: 0, index: 0)).pixels }
        }
        let expected = try render("a man, a photo", seed: config.validationSeed)
        let kept = try ImageFile.read(path: folder + "/original-00.png").pixels
        XCTAssertLessThanOrEqual(zip(expected, kept).map { abs(Int($0) - Int($1)) }.max() ?? 255, 1)
        let stage1 = try StableDiffusionPipeline.load(path: (naive.out as NSString).appendingPathComponent("model"))
        var options = GenerationOptions(prompt: "a man, a photo", seed: config.validationSeed, steps: 2, height: 16, width: 16)
        options.guidanceScale = config.validationGuidance
        let moved = try Tensor.withNoGrad { try RGBImage(tensor: stage1.generate(options).select(dim: 0, index: 0)).pixels }
        XCTAssertGreaterThan(zip(moved, kept).map { abs(Int($0) - Int($1)) }.max() ?? 0, 1, "stage 1 draws another image")
    }
}
