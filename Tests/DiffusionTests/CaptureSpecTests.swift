import Foundation
import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// Capture specs: selectors, JSON form, errors, and captures under gradient checkpointing.
final class CaptureSpecTests: XCTestCase {
    func testSelectorsResolveToLayerNames() throws {
        let model = try referenceFixtures.model("unet_tiny")
        XCTAssertEqual(model.crossAttentionLayers.map(\.name), [
            "down_blocks.0.attentions.0.transformer_blocks.0.attn2",
            "mid_block.attentions.0.transformer_blocks.0.attn2",
            "up_blocks.1.attentions.0.transformer_blocks.0.attn2",
            "up_blocks.1.attentions.1.transformer_blocks.0.attn2",
        ])
        XCTAssertEqual(try model.captureLayers(AttentionCaptureSpec(layers: [.all])).count, 4)
        XCTAssertEqual(try model.captureLayers(AttentionCaptureSpec(layers: [.downscale(2)])),
                       ["mid_block.attentions.0.transformer_blocks.0.attn2"])
        XCTAssertEqual(try model.captureLayers(AttentionCaptureSpec(layers: [.downscale(1)])).count, 3)
        XCTAssertThrowsError(try model.captureLayers(AttentionCaptureSpec(layers: [.downscale(4)]))) {
            XCTAssert("\($0)".contains("1/4"), "\($0)")
        }
        XCTAssertThrowsError(try model.captureLayers(AttentionCaptureSpec(layers: [.name("down_blocks.1.attentions.0.transformer_blocks.0.attn2")])))
        XCTAssertThrowsError(try model.captureLayers(AttentionCaptureSpec(layers: [])))
    }

    func testStableDiffusion15Resolutions() throws {
        // SD 1.5 at 64x64 latents: the layers at 1/4 and 1/2 of the latent size (SPF's default map layers).
        let model = try UNet2DConditionModel(.stableDiffusion15, factory: .uninitialized)
        XCTAssertEqual(model.crossAttentionLayers.count, 16)
        let layers = try model.captureLayers(AttentionCaptureSpec(layers: [.downscale(4), .downscale(2)]))
        XCTAssertEqual(layers, [
            "down_blocks.1.attentions.0.transformer_blocks.0.attn2",
            "down_blocks.1.attentions.1.transformer_blocks.0.attn2",
            "down_blocks.2.attentions.0.transformer_blocks.0.attn2",
            "down_blocks.2.attentions.1.transformer_blocks.0.attn2",
            "up_blocks.1.attentions.0.transformer_blocks.0.attn2",
            "up_blocks.1.attentions.1.transformer_blocks.0.attn2",
            "up_blocks.1.attentions.2.transformer_blocks.0.attn2",
            "up_blocks.2.attentions.0.transformer_blocks.0.attn2",
            "up_blocks.2.attentions.1.transformer_blocks.0.attn2",
            "up_blocks.2.attentions.2.transformer_blocks.0.attn2",
        ])
        XCTAssertEqual(try model.captureLayers(AttentionCaptureSpec(layers: [.downscale(8)])),
                       ["mid_block.attentions.0.transformer_blocks.0.attn2"])
    }

    func testJSONForm() throws {
        let json = #"{"layers": ["1/4", "all", "up_blocks.1.attentions.0.transformer_blocks.0.attn2"], "tokenGroups": [[1, 2], [3]]}"#
        let spec = try JSONDecoder().decode(AttentionCaptureSpec.self, from: Data(json.utf8))
        XCTAssertEqual(spec.layers, [.downscale(4), .all, .name("up_blocks.1.attentions.0.transformer_blocks.0.attn2")])
        XCTAssertEqual(spec.tokenGroups, [[1, 2], [3]])
        XCTAssertTrue(spec.queries)
        XCTAssertFalse(spec.rawProbabilities)
        let again = try JSONDecoder().decode(AttentionCaptureSpec.self, from: JSONEncoder().encode(spec))
        XCTAssertEqual(again, spec)
        for bad in [#"{"layers": ["1/3"]}"#, #"{"layers": ["down_blocks.0"]}"#, #"{"layers": ["1/x"]}"#] {
            XCTAssertThrowsError(try JSONDecoder().decode(AttentionCaptureSpec.self, from: Data(bad.utf8)), bad)
        }
    }

    func testBadTokenGroupsThrow() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        for groups in [[[77]], [[-1]], [[]]] {
            let spec = AttentionCaptureSpec(layers: [.all], tokenGroups: groups)
            XCTAssertThrowsError(try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                                           encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)) {
                XCTAssert("\($0)".contains("token group"), "\($0)")
            }
        }
    }

    func testOptionalOutputs() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let spec = AttentionCaptureSpec(layers: [.downscale(2)], queries: false)
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
        let captured = try XCTUnwrap(out.captures.layers.first)
        XCTAssertNil(captured.maps)
        XCTAssertNil(captured.queries)
        XCTAssertNil(captured.probabilities)
        XCTAssertEqual(out.captures.at(downscale: 2).count, 1)
    }

    /// Gradient checkpointing per block changes neither the outputs, the captures, nor any gradient.
    func testCheckpointingGivesSameCapturesAndGradients() throws {
        let (groups, layers) = try referenceFixtures.captureSpec()
        let io = try referenceFixtures.load("unet_tiny_io")
        let spec = AttentionCaptureSpec(layers: [.all], tokenGroups: groups, rawProbabilities: true)
        var results: [(out: UNetOutput, grads: [String: Tensor], sampleGrad: Tensor)] = []
        for checkpointing in [false, true] {
            let model = try referenceFixtures.model("unet_tiny")
            try model.setRequiresGrad(true)
            model.gradientCheckpointing = checkpointing
            let sample = try io.fixture("sample").clone().requiringGrad()
            let out = try model(sample: sample, timestep: io.fixture("timestep"),
                                encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
            var loss = try (out.sample * io.fixture("up_out")).sum()
            for name in layers {
                let c = try XCTUnwrap(out.captures[name])
                loss = try loss + (XCTUnwrap(c.maps) * io.fixture("up_maps.\(name)")).sum()
                    + (XCTUnwrap(c.queries) * io.fixture("up_query.\(name)")).sum()
            }
            try loss.backward()
            var grads: [String: Tensor] = [:]
            for (name, p) in model.namedParameters() { grads[name] = try p.grad() }
            results.append((out, grads, try XCTUnwrap(sample.grad())))
        }
        let (plain, checkpointed) = (results[0], results[1])
        try assertParity(checkpointed.out.sample, plain.out.sample, .exact, "checkpointed output", in: referenceFixtures)
        XCTAssertEqual(checkpointed.out.captures.names, plain.out.captures.names)
        for (a, b) in zip(checkpointed.out.captures.layers, plain.out.captures.layers) {
            try assertParity(XCTUnwrap(a.maps), XCTUnwrap(b.maps), .exact, "checkpointed maps \(a.name)", in: referenceFixtures)
            try assertParity(XCTUnwrap(a.queries), XCTUnwrap(b.queries), .exact, "checkpointed queries \(a.name)", in: referenceFixtures)
            try assertParity(XCTUnwrap(a.probabilities), XCTUnwrap(b.probabilities), .exact, "checkpointed probs \(a.name)", in: referenceFixtures)
        }
        // Forward recomputation repeats the same ops (exact); the reentrant backward accumulates parameter
        // gradients in another order, a reduction's rounding apart.
        try assertParity(checkpointed.sampleGrad, plain.sampleGrad, UNetBudget.backward.notBitExact, "checkpointed grad sample", in: referenceFixtures)
        XCTAssertEqual(Set(checkpointed.grads.keys), Set(plain.grads.keys))
        for (name, grad) in plain.grads {
            try assertParity(XCTUnwrap(checkpointed.grads[name], "no gradient for \(name) under checkpointing"), grad, UNetBudget.backward.notBitExact, "checkpointed grad \(name)", in: referenceFixtures)
        }
    }
}
