import Foundation
import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// Attention capture against a recording diffusers attention processor (tools/reference/unet_fixtures.py):
/// the maps, queries and raw probabilities of three attn2 layers, and gradients through them.
final class CaptureParityTests: XCTestCase {
    /// Captured layers compute attention explicitly (fp32 scores, softmax, head average in the graph) where the
    /// recording processor runs its own op sequence: a reduction's rounding apart even on the recording machine.
    let captureForward = UNetBudget.forward.notBitExact
    let captureBackward = UNetBudget.backward.notBitExact

    func testCapturedMapsQueriesAndProbabilities() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let (groups, layers) = try referenceFixtures.captureSpec()
        let spec = AttentionCaptureSpec(layers: layers.map { .name($0) }, tokenGroups: groups, rawProbabilities: true)
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
        // The explicit path is the same function as the fused one.
        try assertParity(out.sample, io.fixture("out"), captureForward, "output with capture", in: referenceFixtures)
        XCTAssertEqual(out.captures.names, layers, "captures come back in forward order")
        for name in layers {
            let captured = try XCTUnwrap(out.captures[name])
            let probabilities = try XCTUnwrap(captured.probabilities)
            try assertParity(probabilities, io.fixture("capture.\(name).probs"), captureForward, "\(name) probabilities", in: referenceFixtures)
            // Raw probabilities sum to 1 over the 77 tokens before any selection.
            let sums = try probabilities.sum(dims: [-1])
            try assertParity(sums, sums.onesLike(), Budget.reduction(length: 77).notBitExact, "\(name) probabilities sum to 1", in: referenceFixtures)
            try assertParity(XCTUnwrap(captured.maps), io.fixture("capture.\(name).maps"), captureForward, "\(name) maps", in: referenceFixtures)
            try assertParity(XCTUnwrap(captured.queries), io.fixture("capture.\(name).query"), captureForward, "\(name) queries", in: referenceFixtures)
        }
        XCTAssertEqual(out.captures[layers[1]]?.downscale, 2)
        XCTAssertEqual(out.captures[layers[1]]?.maps?.shape, [2, groups.count, 4, 4])
    }

    func testGradientsThroughOutputMapsAndQueries() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        try model.setRequiresGrad(true)
        let (groups, layers) = try referenceFixtures.captureSpec()
        let sample = try io.fixture("sample").clone().requiringGrad()
        let spec = AttentionCaptureSpec(layers: layers.map { .name($0) }, tokenGroups: groups)
        let out = try model(sample: sample, timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
        try captureLoss(out, io, layers).backward()
        try assertParity(XCTUnwrap(sample.grad()), io.fixture("grad.sample"), captureBackward, "grad sample", in: referenceFixtures)
        let parameters = model.stateDict()
        for key in io.keys.sorted() where key.hasPrefix("grad.") && key != "grad.sample" {
            let name = String(key.dropFirst("grad.".count))
            let grad = try XCTUnwrap(XCTUnwrap(parameters[name], name).grad(), "no gradient for \(name)")
            try assertParity(grad, io.fixture(key), captureBackward, "grad \(name)", in: referenceFixtures)
        }
    }

    /// sum(out * up_out) + sum over captured layers of sum(maps * up_maps) + sum(queries * up_query).
    private func captureLoss(_ out: UNetOutput, _ io: [String: Tensor], _ layers: [String]) throws -> Tensor {
        var loss = try (out.sample * io.fixture("up_out")).sum()
        for name in layers {
            let captured = try XCTUnwrap(out.captures[name])
            loss = try loss + (XCTUnwrap(captured.maps) * io.fixture("up_maps.\(name)")).sum()
                + (XCTUnwrap(captured.queries) * io.fixture("up_query.\(name)")).sum()
        }
        return loss
    }
}
