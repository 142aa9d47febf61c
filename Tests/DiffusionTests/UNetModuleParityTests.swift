import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// The UNet's parts against diffusers 0.42.1 on the tiny fixture model (tools/reference/unet_fixtures.py).
final class UNetModuleParityTests: XCTestCase {
    var model: UNet2DConditionModel!
    var io: [String: Tensor]!

    override func setUpWithError() throws {
        model = try referenceFixtures.model("unet_tiny")
        io = try referenceFixtures.load("unet_tiny_io")
    }

    func testTimeProjectionAndEmbedding() throws {
        let tEmb = try model.timeProj(io.fixture("timestep"))
        try assertParity(tEmb, io.fixture("time.t_emb"), UNetBudget.forward, "Timesteps", in: referenceFixtures)
        try assertParity(model.timeEmbedding(io.fixture("time.t_emb")), io.fixture("time.emb"), UNetBudget.forward, "TimestepEmbedding", in: referenceFixtures)
    }

    func testDownBlock() throws {
        let block = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        let (output, skips) = try block(io.fixture("down.input"), temb: io.fixture("time.emb"),
                                        encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(output, io.fixture("down.output"), UNetBudget.forward, "CrossAttnDownBlock2D output", in: referenceFixtures)
        XCTAssertEqual(skips.count, 2)
        for (i, skip) in skips.enumerated() {
            try assertParity(skip, io.fixture("down.res.\(i)"), UNetBudget.forward, "CrossAttnDownBlock2D skip \(i)", in: referenceFixtures)
        }
    }

    func testMidBlock() throws {
        let output = try model.midBlock(io.fixture("mid.input"), temb: io.fixture("time.emb"),
                                        encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertParity(output, io.fixture("mid.output"), UNetBudget.forward, "UNetMidBlock2DCrossAttn", in: referenceFixtures)
    }

    func testUpBlock() throws {
        let block = try XCTUnwrap(model.upBlocks[0] as? UpBlock2D)
        let output = try block(io.fixture("up.input"), skips: [io.fixture("up.res.0"), io.fixture("up.res.1")],
                               temb: io.fixture("time.emb"))
        try assertParity(output, io.fixture("up.output"), UNetBudget.forward, "UpBlock2D", in: referenceFixtures)
    }

    func testUpBlockRejectsWrongSkipCount() throws {
        let block = try XCTUnwrap(model.upBlocks[0] as? UpBlock2D)
        XCTAssertThrowsError(try block(io.fixture("up.input"), skips: [io.fixture("up.res.0")], temb: io.fixture("time.emb")))
    }
}
