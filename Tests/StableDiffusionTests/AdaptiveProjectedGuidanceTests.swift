import Foundation
import SafeTensors
import StableDiffusion
import Torch
import ParityTesting
import XCTest

/// Adaptive projected guidance against diffusers' `normalized_guidance` (tools/reference/pipeline_apg_fixtures.py):
/// the arithmetic alone over three steps of one momentum buffer, and a whole DDIM run of the tiny pipeline.
final class AdaptiveProjectedGuidanceTests: PipelineParityTestCase {
    static let fixtures = referenceFixtures.directory
    /// Per image: a float64 norm and dot product over 256 terms, then a few products per element.
    static let direct = Budget.reduction(length: 256) + .elementwise

    private func apgFixtures() throws -> [String: Tensor] {
        try SafeTensors.load(Self.fixtures.appendingPathComponent("pipe_apg.safetensors").path)
    }

    func testGuidanceMatchesNormalizedGuidanceOverThreeSteps() throws {
        let fixture = try apgFixtures()
        var run = AdaptiveProjectedGuidance.Run(AdaptiveProjectedGuidance(eta: 0.3, momentum: -0.5, normThreshold: 6),
                                                scale: 7.5)
        for k in 0..<3 {
            let guided = try run.guide(unconditional: fixture["direct.uncond.\(k)"]!, conditional: fixture["direct.cond.\(k)"]!)
            // One run across the three steps: its momentum buffer carries the earlier directions, as the reference's.
            try assertParity(guided, fixture["direct.out.\(k)"]!, Self.direct, "normalized_guidance step \(k)",
                             in: referenceFixtures)
        }
        // A zero direction (cond == uncond): r / 0 is capped to 1, and the prediction is the conditional one.
        let cond = fixture["direct.cond.2"]!
        var fresh = AdaptiveProjectedGuidance.Run(AdaptiveProjectedGuidance(eta: 0.3, normThreshold: 6), scale: 7.5)
        let zero = try fresh.guide(unconditional: cond, conditional: cond)
        try assertParity(zero, fixture["direct.zero.out"]!, Self.direct, "zero update", in: referenceFixtures)
    }

    func testNeutralSettingsArePlainGuidance() throws {
        XCTAssertTrue(AdaptiveProjectedGuidance.none.isPlainGuidance)
        XCTAssertFalse(AdaptiveProjectedGuidance(momentum: -0.5).isPlainGuidance)
        // The projection with eta 1 and nothing else is uncond + scale * (cond - uncond) up to rounding.
        let fixture = try apgFixtures()
        let (uncond, cond) = (fixture["direct.uncond.0"]!, fixture["direct.cond.0"]!)
        var run = AdaptiveProjectedGuidance.Run(.none, scale: 7.5)
        let projected = try run.guide(unconditional: uncond, conditional: cond)
        let plain = try uncond + (cond - uncond) * 7.5
        XCTAssertLessThan(try (projected - plain).abs().amax().item(), 1e-4)
    }

    func testPipelineWithAPGMatchesDiffusers() throws {
        let pipeline = try StableDiffusionPipeline.load(path: Self.fixtures.appendingPathComponent("pipe_tiny").path)
        let runs = try SafeTensors.load(Self.fixtures.appendingPathComponent("pipe_runs.safetensors").path)
        let fixture = try apgFixtures()
        var options = GenerationOptions(prompt: PipelineParityTests.prompt, negativePrompt: "blurry", steps: 5,
                                        height: 16, width: 16)
        options.guidanceScale = 7.5
        options.projectedGuidance = AdaptiveProjectedGuidance(eta: 0.3, momentum: -0.5, normThreshold: 1.5)
        let images = try pipeline.generate(options, initialLatents: runs["ddim.latents"]!)
        let image = try (images / 2 + 0.5).clamp(min: 0, max: 1)
        try assertParity(image, fixture["apg.image"]!, PipelineParityTests.budget, "DDIM, guidance 7.5, APG",
                         in: referenceFixtures)
        // And it is not plain guidance: the APG run differs from the plain DDIM fixture by far more than the budget.
        XCTAssertGreaterThan(try (fixture["apg.image"]! - runs["ddim.image"]!).abs().amax().item(), 0.01)
    }

    func testOutOfRangeSettingsAreNamed() {
        func rejects(_ settings: AdaptiveProjectedGuidance, _ text: String) {
            var options = GenerationOptions(prompt: "x")
            options.projectedGuidance = settings
            XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".contains(text), "\($0)") }
        }
        rejects(AdaptiveProjectedGuidance(eta: 1.5), "APG eta must be in 0...1, got 1.5")
        rejects(AdaptiveProjectedGuidance(momentum: -1), "APG momentum must be in (-1, 1), got -1.0")
        rejects(AdaptiveProjectedGuidance(normThreshold: -2), "APG norm threshold must be 0 (off) or positive, got -2.0")
        rejects(AdaptiveProjectedGuidance(normThreshold: .nan), "APG norm threshold")
        XCTAssertThrowsError(try AdaptiveProjectedGuidance(eta: -1).validate(names: ("--apg-eta", "m", "n"))) {
            XCTAssertTrue("\($0)".contains("--apg-eta must be in 0...1"), "\($0)")
        }
    }

    func testMissingFieldsDecodeToNeutralValues() throws {
        let decoded = try JSONDecoder().decode(AdaptiveProjectedGuidance.self, from: Data(#"{"norm_threshold": 1}"#.utf8))
        XCTAssertEqual(decoded, AdaptiveProjectedGuidance(normThreshold: 1))
        let settings = AdaptiveProjectedGuidance(eta: 0, momentum: -0.5, normThreshold: 2)
        XCTAssertEqual(try JSONDecoder().decode(AdaptiveProjectedGuidance.self, from: JSONEncoder().encode(settings)), settings)
    }
}
