import Foundation
import NN
import SafeTensors
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// The whole UNet2DConditionModel against diffusers 0.42.1.
final class UNetModelParityTests: XCTestCase {
    func testTinyModel() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(out.sample, io.fixture("out"), UNetBudget.forward, "UNet tiny", in: referenceFixtures)
        XCTAssert(out.captures.layers.isEmpty)
    }

    /// NHWC weights and input (`useChannelsLast`, as PyTorch's `to(memory_format=torch.channels_last)`): the same
    /// diffusers output within the forward budget, the weights' values and names unchanged, a checkpoint written
    /// from them byte-identical to the NCHW one.
    func testChannelsLastModelMatchesReference() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let before = try model.namedParameters().map { ($0.name, try $0.tensor.clone()) }
        try model.useChannelsLast()
        let convolutions = model.namedParameters().filter { $0.tensor.shape.count == 4 }
        XCTAssertFalse(convolutions.isEmpty)
        XCTAssert(convolutions.allSatisfy { $0.tensor.isChannelsLast }, "4-D weights are NHWC")
        // A 3x3 kernel's NHWC layout is not NCHW's (a 1x1 kernel's is both).
        let spatial = convolutions.filter { $0.tensor.shape[2] > 1 && $0.tensor.shape[1] > 1 }
        XCTAssertFalse(spatial.isEmpty)
        XCTAssert(spatial.allSatisfy { !$0.tensor.isContiguous }, "3x3 kernels really moved")
        for ((name, old), (newName, new)) in zip(before, model.namedParameters()) {
            XCTAssertEqual(name, newName)
            XCTAssertTrue(try new.allClose(old, rtol: 0, atol: 0), name)
        }
        let sample = try io.fixture("sample").channelsLast()
        XCTAssertTrue(sample.isChannelsLast)
        let out = try model(sample: sample, timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(out.sample, io.fixture("out"), UNetBudget.forward, "UNet tiny, channels_last", in: referenceFixtures)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("unet-nhwc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file + ".nhwc"); try? FileManager.default.removeItem(atPath: file + ".nchw") }
        try SafeTensors.save(model.stateDict(), to: file + ".nhwc")
        try SafeTensors.save(Dictionary(uniqueKeysWithValues: before), to: file + ".nchw")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file + ".nhwc")), try Data(contentsOf: URL(fileURLWithPath: file + ".nchw")))
    }

    func testScalarTimestepBroadcastsToBatch() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("scalar.timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(out.sample, io.fixture("scalar.out"), UNetBudget.forward, "UNet scalar timestep", in: referenceFixtures)
        // An integer timestep tensor gives the same result (diffusers casts timesteps to float).
        let ints = try Tensor([Int64(500)], shape: [1])
        let outInt = try model(sample: io.fixture("sample"), timestep: ints,
                               encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(outInt.sample, io.fixture("scalar.out"), UNetBudget.forward, "UNet int64 timestep [1]", in: referenceFixtures)
    }

    func testSizeNotMultipleOfUpsamplingForwardsUpsampleSize() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let out = try model(sample: io.fixture("odd.sample"), timestep: Tensor([Float(321)], shape: [1]),
                            encoderHiddenStates: io.fixture("odd.encoder_hidden_states"))
        try assertParity(out.sample, io.fixture("odd.out"), UNetBudget.forward, "UNet 9x7 sample", in: referenceFixtures)
    }

    func testLinearProjectionVariant() throws {
        let model = try referenceFixtures.model("unet_linear")
        let io = try referenceFixtures.load("unet_linear_io")
        let up = try XCTUnwrap(model.upBlocks[0] as? CrossAttnUpBlock2D)
        XCTAssert(up.attentions[0].projIn is Linear, "use_linear_projection: proj_in is Linear")
        XCTAssertEqual(up.attentions[0].transformerBlocks[0].attn2.heads, 4, "up block 0 takes the reversed heads")
        // only_cross_attention [true, false]: attn1 of down block 0 and (reversed) up block 1 attends to the text.
        let down0 = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        let up1 = try XCTUnwrap(model.upBlocks[1] as? CrossAttnUpBlock2D)
        XCTAssertTrue(down0.attentions[0].transformerBlocks[0].attn1.isCrossAttention)
        XCTAssertTrue(up1.attentions[0].transformerBlocks[0].attn1.isCrossAttention)
        XCTAssertFalse(up.attentions[0].transformerBlocks[0].attn1.isCrossAttention)
        let name = "up_blocks.0.attentions.1.transformer_blocks.1.attn2"
        let spec = AttentionCaptureSpec(layers: [.name(name)], tokenGroups: try referenceFixtures.captureSpec().groups,
                                        rawProbabilities: true)
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
        // A captured layer computes attention explicitly: not bit-exact by design.
        try assertParity(out.sample, io.fixture("out"), UNetBudget.forward.notBitExact, "UNet linear variant", in: referenceFixtures)
        let captured = try XCTUnwrap(out.captures[name])
        XCTAssertEqual(captured.downscale, 2)
        try assertParity(XCTUnwrap(captured.maps), io.fixture("capture.maps"), UNetBudget.forward.notBitExact, "linear variant maps", in: referenceFixtures)
        try assertParity(XCTUnwrap(captured.queries), io.fixture("capture.query"), UNetBudget.forward.notBitExact, "linear variant queries", in: referenceFixtures)
        try assertParity(XCTUnwrap(captured.probabilities), io.fixture("capture.probs"), UNetBudget.forward.notBitExact, "linear variant probs", in: referenceFixtures)
    }

    func testBadInputsThrow() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let enc = try Tensor.zeros([2, 77, 16])
        XCTAssertThrowsError(try model(sample: Tensor.zeros([2, 3, 8, 8]), timestep: Tensor.zeros([2]), encoderHiddenStates: enc))
        XCTAssertThrowsError(try model(sample: Tensor.zeros([2, 4, 8, 8]), timestep: Tensor.zeros([3]), encoderHiddenStates: enc))
        XCTAssertThrowsError(try model(sample: Tensor.zeros([1, 4, 8, 8]), timestep: Tensor.zeros([1]), encoderHiddenStates: enc))
        XCTAssertThrowsError(try model(sample: Tensor.zeros([2, 4, 8, 8]), timestep: Tensor.zeros([2]),
                                       encoderHiddenStates: Tensor.zeros([2, 77, 12])))
    }
}
