import Foundation
import ParityTesting
import SafeTensors
import StableDiffusion
import Torch
import XCTest

/// LoRA files in both formats against diffusers' load_lora_weights on the tiny pipeline
/// (tools/reference/lora_fixtures.py): same file, latents, prompt, scheduler, steps and lora scale.
final class LoRAParityTests: PipelineParityTestCase {
    private func images(lora: String?, scale: Double = 1) throws -> (ours: Tensor, runs: [String: Tensor]) {
        let pipeline = try LoRATestSupport.pipeline()
        let runs = try referenceFixtures.load("lora_runs")
        if let lora { try pipeline.loadLoRA(lora, scale: scale) }
        let options = GenerationOptions(prompt: LoRATestSupport.prompt, negativePrompt: "blurry", steps: 5,
                                        guidanceScale: 7.5, height: 16, width: 16)
        let images = try pipeline.generate(options, initialLatents: try runs.tensor("latents"))
        return (try (images / 2 + 0.5).clamp(min: 0, max: 1), runs)
    }

    private func assertMatches(lora: String?, scale: Double = 1, _ key: String, changesBase: Bool = true) throws {
        let (ours, runs) = try images(lora: lora, scale: scale)
        try assertParity(ours, try runs.tensor(key), PipelineParityTests.budget, key, in: referenceFixtures)
        if changesBase {
            // The LoRA really moves the image (so that matching diffusers is not matching the base model).
            let change = try (runs.tensor(key) - runs.tensor("base.image")).abs().floats().max() ?? 0
            XCTAssertGreaterThan(change, 0.01, "\(key): the reference LoRA hardly changes the image")
        }
    }

    func testBaseImageWithoutLoRA() throws {
        try assertMatches(lora: nil, "base.image", changesBase: false)
    }

    func testDiffusersFormatAtScale07() throws {
        try assertMatches(lora: LoRATestSupport.diffusersFixture, scale: 0.7, "diffusers.image")
    }

    func testDiffusersFormatAtDefaultScale() throws {
        try assertMatches(lora: LoRATestSupport.diffusersFixture, "diffusers.scale1.image")
    }

    func testKohyaFormatAtScale07() throws {
        try assertMatches(lora: LoRATestSupport.kohyaFixture, scale: 0.7, "kohya.image")
    }

    func testRemovingTheLoRAGivesTheBaseModelBack() throws {
        let pipeline = try LoRATestSupport.pipeline()
        let runs = try referenceFixtures.load("lora_runs")
        try pipeline.loadLoRA(LoRATestSupport.kohyaFixture, scale: 0.7)
        pipeline.removeLoRA()
        XCTAssert(pipeline.unet.loraAdapters().isEmpty && pipeline.textEncoder.loraAdapters().isEmpty)
        let options = GenerationOptions(prompt: LoRATestSupport.prompt, negativePrompt: "blurry", steps: 5, height: 16, width: 16)
        let images = try pipeline.generate(options, initialLatents: try runs.tensor("latents"))
        try assertParity(try (images / 2 + 0.5).clamp(min: 0, max: 1), try runs.tensor("base.image"),
                         PipelineParityTests.budget, "base after removeLoRA", in: referenceFixtures)
    }
}
