import Foundation
import SafeTensors
import StableDiffusion
import Torch
import ParityTesting
import XCTest

/// The whole text-to-image pipeline against diffusers' StableDiffusionPipeline on a tiny random model
/// (tools/reference/pipeline_fixtures.py): same folder, prompt, latents or seed, scheduler and steps.
final class PipelineParityTests: PipelineParityTestCase {
    static let fixtures = referenceFixtures.directory
    static let prompt = "a woman, in a brown jacket, blonde hair"

    private func load() throws -> (StableDiffusionPipeline, [String: Tensor]) {
        let pipeline = try StableDiffusionPipeline.load(path: Self.fixtures.appendingPathComponent("pipe_tiny").path)
        let runs = try SafeTensors.load(Self.fixtures.appendingPathComponent("pipe_runs.safetensors").path)
        return (pipeline, runs)
    }

    /// diffusers' output_type="pt": images in [0, 1].
    /// Text encoder, five UNet evaluations (each about 30 reductions deep, twice under guidance) and the VAE
    /// decoder: about 200 reductions of at most 576 terms in sequence.
    static let budget = Budget.model(length: 576, depth: 200)

    private func assertImagesMatch(_ ours: Tensor, _ reference: Tensor, _ label: String, file: StaticString = #filePath,
                                   line: UInt = #line) throws {
        let image = try (ours / 2 + 0.5).clamp(min: 0, max: 1)
        try assertParity(image, reference, Self.budget, label, in: referenceFixtures, file: file, line: line)
    }

    func testDDIMWithGuidanceAndNegativePromptFromGivenLatents() throws {
        let (pipeline, runs) = try load()
        var options = GenerationOptions(prompt: Self.prompt, negativePrompt: "blurry", steps: 5, height: 16, width: 16)
        options.guidanceScale = 7.5
        XCTAssertEqual(pipeline.schedulerName(for: options), "DDIMScheduler")
        var reported: [Int] = []
        let images = try pipeline.generate(options, initialLatents: runs["ddim.latents"]!) { step, total in
            XCTAssertEqual(total, 5)
            reported.append(step)
        }
        XCTAssertEqual(reported, [1, 2, 3, 4, 5])
        try assertImagesMatch(images, runs["ddim.image"]!, "DDIM, guidance, negative prompt")
    }

    func testSeededDrawMatchesTorchGeneratorForABatch() throws {
        let (pipeline, runs) = try load()
        let options = GenerationOptions(prompt: Self.prompt, seed: 7, batchSize: 2, steps: 5, height: 16, width: 16)
        try assertImagesMatch(try pipeline.generate(options), runs["seeded.image"]!, "seeded batch")
    }

    func testWithoutGuidance() throws {
        let (pipeline, runs) = try load()
        let options = GenerationOptions(prompt: Self.prompt, steps: 5, guidanceScale: 1.0, height: 16, width: 16)
        try assertImagesMatch(try pipeline.generate(options, initialLatents: runs["ddim.latents"]!),
                              runs["noguide.image"]!, "no guidance")
    }

    func testStochasticSamplerUsesTheSameNoiseStream() throws {
        let (pipeline, runs) = try load()
        let options = GenerationOptions(prompt: Self.prompt, negativePrompt: "blurry", seed: 11, steps: 5, height: 16,
                                        width: 16, scheduler: "euler_a")
        try assertImagesMatch(try pipeline.generate(options, initialLatents: runs["ddim.latents"]!),
                              runs["eulera.image"]!, "Euler ancestral")
    }

    /// diffusers' guidance_rescale 0.7 (tools/reference/pipeline_rescale_fixtures.py): the same run as the DDIM test
    /// with the guided prediction rescaled at every step; the rescale alone against `rescale_noise_cfg`.
    func testGuidanceRescaleMatchesDiffusers() throws {
        let (pipeline, runs) = try load()
        let rescale = try SafeTensors.load(Self.fixtures.appendingPathComponent("pipe_rescale.safetensors").path)
        // Two standard deviations of 256 terms, a division and two products per element.
        let direct = try DenoisingLoop.rescaleGuided(rescale["direct.guided"]!, text: rescale["direct.text"]!,
                                                     guidanceRescale: 0.7)
        try assertParity(direct, rescale["direct.out"]!, Budget.reduction(length: 256) + .elementwise, "rescale_noise_cfg",
                         in: referenceFixtures)
        var options = GenerationOptions(prompt: Self.prompt, negativePrompt: "blurry", steps: 5, height: 16, width: 16)
        options.guidanceScale = 7.5
        options.guidanceRescale = 0.7
        let images = try pipeline.generate(options, initialLatents: runs["ddim.latents"]!)
        try assertImagesMatch(images, rescale["rescale.image"]!, "DDIM, guidance 7.5 rescaled 0.7")
        // And it is not plain guidance: the rescaled run differs from the DDIM fixture by far more than the budget.
        let plain = try XCTUnwrap(runs["ddim.image"])
        XCTAssertGreaterThan(try (rescale["rescale.image"]! - plain).abs().amax().item(), 0.01)
    }

    func testBadRequestsAreRejectedBeforeAnyWork() throws {
        let (pipeline, runs) = try load()
        func rejects(_ options: GenerationOptions, _ text: String, latents: Tensor? = nil) {
            XCTAssertThrowsError(try pipeline.generate(options, initialLatents: latents)) {
                XCTAssert("\($0)".contains(text), "\($0)")
            }
        }
        rejects(GenerationOptions(prompt: "  "), "prompt is empty")
        rejects(GenerationOptions(prompt: "x", height: 20, width: 16), "multiples of 8")
        rejects(GenerationOptions(prompt: "x", steps: 0), "steps")
        rejects(GenerationOptions(prompt: "x", scheduler: "pndm"), "pndm")
        var rescaled = GenerationOptions(prompt: "x")
        rescaled.guidanceRescale = 1.5
        rejects(rescaled, "guidance rescale must be a number between 0 and 1, got 1.5")
        rejects(GenerationOptions(prompt: "x", height: 32, width: 16), "expected [1, 4, 16, 8]", latents: runs["ddim.latents"]!)
    }
}
