import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// Parameter names, counts, groups and LoRA injection.
final class UNetParameterTests: XCTestCase {
    /// The real SD 1.5 UNet: exactly diffusers' parameter count and names (uninitialized, ~3.4 GB, no forward).
    func testStableDiffusion15ParameterCount() throws {
        let model = try UNet2DConditionModel(.stableDiffusion15, factory: .uninitialized)
        XCTAssertEqual(model.parameterCount, 859_520_964)
        let names = model.stateDict()
        XCTAssertEqual(names.count, 686)
        XCTAssertEqual(names["down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight"]?.shape, [640, 768])
        XCTAssertEqual(names["mid_block.attentions.0.proj_in.weight"]?.shape, [1280, 1280, 1, 1])
        XCTAssertEqual(names["up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.weight"]?.shape, [2560, 320])
        XCTAssertEqual(names["down_blocks.0.downsamplers.0.conv.weight"]?.shape, [320, 320, 3, 3])
        XCTAssertEqual(names["up_blocks.2.upsamplers.0.conv.weight"]?.shape, [640, 640, 3, 3])
        XCTAssertEqual(names["time_embedding.linear_2.weight"]?.shape, [1280, 1280])
        XCTAssertNil(names["up_blocks.3.upsamplers.0.conv.weight"])
    }

    /// The fixture weights (diffusers' state_dict) load strictly: every name matches, none is missing.
    func testFixtureNamesMatchDiffusers() throws {
        for name in ["unet_tiny", "unet_linear"] {
            XCTAssertNoThrow(try referenceFixtures.model(name), name)
        }
    }

    func testParameterGroups() throws {
        let model = try referenceFixtures.model("unet_tiny")
        XCTAssertEqual(model.parameters(in: .all).count, model.parameters.count)
        let cross = model.namedParameters(in: .crossAttention).map(\.name)
        // 4 attn2 layers x (to_q, to_k, to_v, to_out.0 weight + bias).
        XCTAssertEqual(cross.count, 4 * 5)
        XCTAssert(cross.allSatisfy { $0.contains(".attn2.") })
        let projections = model.namedParameters(in: .attentionProjections).map(\.name)
        XCTAssertEqual(projections.count, 2 * 4 * 5)
        XCTAssert(projections.contains("mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0.bias"))
        XCTAssertFalse(projections.contains { $0.contains("ff.") || $0.contains("norm") })
    }

    func testLoRAInjectionKeepsOutputAndTrainsOnlyAdapters() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        try model.setRequiresGrad(false)
        let injected = try model.injectLoRA(LoRAConfiguration(rank: 2, alpha: 2, targets: ["to_q", "to_k", "to_v", "to_out.0"]),
                                            factory: ParameterFactory(generator: Generator(seed: 0)))
        XCTAssertEqual(injected.count, 4 * 2 * 4, "4 transformer blocks x attn1/attn2 x 4 projections")
        let trainable = model.namedParameters().filter { $0.tensor.requiresGrad }.map(\.name)
        XCTAssertEqual(trainable.count, injected.count * 2)
        XCTAssert(trainable.allSatisfy { $0.contains(".lora.lora_") }, "\(trainable.filter { !$0.contains(".lora.") })")
        let spec = AttentionCaptureSpec(layers: [.all], tokenGroups: [[1, 2]])
        let out = try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)
        // Every layer captured: explicit attention where the reference ran fused SDPA (not bit-exact by design).
        try assertParity(out.sample, io.fixture("out"), UNetBudget.forward.notBitExact, "LoRA-injected model before training", in: referenceFixtures)
        // Gradients reach the adapters (B starts at zero, so B gets the gradient first), not the frozen weights.
        let maps = try XCTUnwrap(out.captures.layers[0].maps)
        try ((out.sample * io.fixture("up_out")).sum() + maps.sum()).backward()
        let q = model.stateDict()
        XCTAssertNotNil(try q["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q.lora.lora_B.weight"]?.grad())
        XCTAssertNil(try q["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q.weight"]?.grad())
    }
}
