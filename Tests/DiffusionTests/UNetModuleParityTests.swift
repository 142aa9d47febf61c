import NN
import Torch
import XCTest
@testable import Diffusion

/// The UNet's parts against diffusers 0.42.1 on the tiny fixture model (tools/reference/unet_fixtures.py).
final class UNetModuleParityTests: XCTestCase {
    var model: UNet2DConditionModel!
    var io: [String: Tensor]!

    override func setUpWithError() throws {
        model = try UNetFixtures.model("unet_tiny")
        io = try UNetFixtures.load("unet_tiny_io")
    }

    func testTimeProjectionAndEmbedding() throws {
        let tEmb = try model.timeProj(io.fixture("timestep"))
        try assertFixtureClose(tEmb, io.fixture("time.t_emb"), "Timesteps")
        try assertFixtureClose(model.timeEmbedding(io.fixture("time.t_emb")), io.fixture("time.emb"), "TimestepEmbedding")
    }

    func testDownBlock() throws {
        let block = try XCTUnwrap(model.downBlocks[0] as? CrossAttnDownBlock2D)
        let (output, skips) = try block(io.fixture("down.input"), temb: io.fixture("time.emb"),
                                        encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertFixtureClose(output, io.fixture("down.output"), "CrossAttnDownBlock2D output")
        XCTAssertEqual(skips.count, 2)
        for (i, skip) in skips.enumerated() {
            try assertFixtureClose(skip, io.fixture("down.res.\(i)"), "CrossAttnDownBlock2D skip \(i)")
        }
    }

    func testMidBlock() throws {
        let output = try model.midBlock(io.fixture("mid.input"), temb: io.fixture("time.emb"),
                                        encoderHiddenStates: io.fixture("encoder_hidden_states"))
        try assertFixtureClose(output, io.fixture("mid.output"), "UNetMidBlock2DCrossAttn")
    }

    func testUpBlock() throws {
        let block = try XCTUnwrap(model.upBlocks[0] as? UpBlock2D)
        let output = try block(io.fixture("up.input"), skips: [io.fixture("up.res.0"), io.fixture("up.res.1")],
                               temb: io.fixture("time.emb"))
        try assertFixtureClose(output, io.fixture("up.output"), "UpBlock2D")
    }

    func testUpBlockRejectsWrongSkipCount() throws {
        let block = try XCTUnwrap(model.upBlocks[0] as? UpBlock2D)
        XCTAssertThrowsError(try block(io.fixture("up.input"), skips: [io.fixture("up.res.0")], temb: io.fixture("time.emb")))
    }
}
