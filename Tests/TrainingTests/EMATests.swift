import Foundation
import SafeTensors
import Torch
import XCTest
@testable import Training

/// The training loop's EMA (`ema_decay`): diffusers' EMAModel update for update, exported, validated with,
/// and resumed exactly.
final class EMATests: TinyRunTestCase {
    /// Every update of diffusers' EMAModel (decay 0.5, so the cap is reached), bit for bit: the update is three
    /// elementwise float32 operations, exact on any machine.
    func testUpdatesMatchDiffusersEMAModel() throws {
        let fixture = try referenceFixtures.load("ema")
        let parameters = try (0..<3).map { (name: "p\($0)", tensor: try XCTUnwrap(fixture["param.\($0)"]).clone()) }
        let ema = try EMAWeights(parameters, maxDecay: 0.5)
        for t in 0..<12 {
            for (i, p) in parameters.enumerated() { try p.tensor.copy_(XCTUnwrap(fixture["value.\(t).\(i)"])) }
            try ema.update(from: parameters)
            let decay = try XCTUnwrap(fixture["decay.\(t)"]).toArray(Double.self)[0]
            XCTAssertEqual(EMAWeights.decay(update: t + 1, maxDecay: 0.5), decay, "update \(t + 1)")
            for i in 0..<3 {
                XCTAssertEqual(try ema.shadow[i].tensor.bytes(), try XCTUnwrap(fixture["shadow.\(t).\(i)"]).bytes(),
                               "shadow \(i) after update \(t + 1)")
            }
        }
        XCTAssertEqual(ema.updates, 12)
        let updates = try XCTUnwrap(fixture["schedule.update"]).toArray(Int64.self)
        let decays = try XCTUnwrap(fixture["schedule.decay"]).toArray(Double.self)
        for (n, decay) in zip(updates, decays) {
            XCTAssertEqual(EMAWeights.decay(update: Int(n), maxDecay: 0.9999), decay, "update \(n)")
        }
        // The average is put back after a body that throws.
        let before = try parameters[0].tensor.bytes()
        XCTAssertThrowsError(try ema.withAverage(in: parameters) {
            XCTAssertEqual(try parameters[0].tensor.bytes(), try ema.shadow[0].tensor.bytes())
            throw TrainingError("validation failed")
        })
        XCTAssertEqual(try parameters[0].tensor.bytes(), before)
    }

    /// A run with `ema_decay` exports the average (not the last step's tensors), keeps it in every checkpoint,
    /// and a run stopped and resumed ends with the same average and export as one that ran through.
    func testRunExportsTheAverageAndResumesExactly() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        var config = tinyConfig(data: data, out: (root as NSString).appendingPathComponent("whole"), steps: 12)
        config.cacheDirectory = (root as NSString).appendingPathComponent("cache")
        config.emaDecay = 0.9
        config.trainable = .crossAttention
        let whole = try TrainingSession(config: config).run()
        XCTAssertEqual(whole.outcome, .finished(step: 12))

        func checkpointFile(_ run: RunFolder, _ name: String) throws -> [String: Tensor] {
            let last = try XCTUnwrap(RunCheckpoint.completed(in: run).last)
            return try SafeTensors.load(run.file("checkpoints/\(RunCheckpoint.folderName(step: last))/\(name)"))
        }
        let average = try checkpointFile(whole.run, "ema.safetensors")
        let last = try checkpointFile(whole.run, "trainable.safetensors")
        XCTAssertEqual(Set(average.keys), Set(last.keys))
        let exported = try SafeTensors.load(whole.run.modelPath + "/unet/diffusion_pytorch_model.safetensors")
        var differFromLast = 0
        for (name, tensor) in average {
            let weight = try XCTUnwrap(exported[name], "export lacks \(name)")
            XCTAssertEqual(try weight.bytes(), try tensor.bytes(), "\(name): the export is the average")
            if try tensor.bytes() != last[name]!.bytes() { differFromLast += 1 }
        }
        XCTAssertGreaterThan(differFromLast, 0, "the average is not the last step's tensors")

        config.out = (root as NSString).appendingPathComponent("split")
        XCTAssertEqual(try runStopped(config, after: 6).outcome, .stopped(step: 6))
        let resumed = try TrainingSession(config: config, resume: true).run()
        XCTAssertEqual(resumed.outcome, .finished(step: 12))
        let resumedAverage = try checkpointFile(resumed.run, "ema.safetensors")
        for (name, tensor) in average { XCTAssertEqual(try resumedAverage[name]?.bytes(), try tensor.bytes(), name) }
        let resumedExport = try SafeTensors.load(resumed.run.modelPath + "/unet/diffusion_pytorch_model.safetensors")
        for (name, tensor) in exported { XCTAssertEqual(try resumedExport[name]?.bytes(), try tensor.bytes(), name) }
    }

    /// A checkpoint written without an average cannot silently resume a run that keeps one; bad decays are named.
    func testMissingAverageAndBadDecayAreNamed() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let root = try temporaryFolder(self, "runs")
        var config = tinyConfig(data: data, out: (root as NSString).appendingPathComponent("run"), steps: 8)
        config.trainable = .crossAttention
        XCTAssertEqual(try runStopped(config, after: 4).outcome, .stopped(step: 4))
        config.emaDecay = 0.99
        XCTAssertThrowsError(try TrainingSession(config: config, resume: true).run()) {
            XCTAssertTrue("\($0)".contains("ema.safetensors"), "\($0)")
        }
        for bad in [0.0, 1.0, -0.5, .nan] {
            config.emaDecay = bad
            XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("ema_decay"), "\($0)") }
        }
    }
}
