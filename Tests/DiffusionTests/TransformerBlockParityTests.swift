import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// BasicTransformerBlock and Transformer2DModel against diffusers 0.42.1 (tiny fixture model).
final class TransformerBlockParityTests: XCTestCase {
    func testBasicTransformerBlock() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let down = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        let block = down.attentions[0].transformerBlocks[0]
        XCTAssertEqual(block.attn2Name, "down_blocks.0.attentions.0.transformer_blocks.0.attn2")
        let output = try block(io.fixture("btb.input"), encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(output, io.fixture("btb.output"), UNetBudget.forward, "BasicTransformerBlock", in: referenceFixtures)
    }

    func testTransformer2DModel() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let down = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        XCTAssert(down.attentions[0].projIn is Conv2d, "SD 1.x proj_in is a 1x1 Conv2d")
        let output = try down.attentions[0](io.fixture("t2d.input"), encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(output, io.fixture("t2d.output"), UNetBudget.forward, "Transformer2DModel", in: referenceFixtures)
    }

    func testTransformer2DModelRejectsWrongChannels() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let down = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        XCTAssertThrowsError(try down.attentions[0](Tensor.zeros([1, 3, 4, 4]), encoderHiddenStates: io.fixture("encoder_hidden_states")))
    }
}
