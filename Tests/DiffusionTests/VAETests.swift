import Foundation
import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// AutoencoderKL against diffusers 0.42.1 (tools/reference/vae_fixtures.py): a tiny VAE's posterior, a seeded
/// posterior sample, decoding, decoder gradients (with and without gradient checkpointing), the logvar clamp;
/// configurations and SD 1.5's parameter count.
final class VAETests: XCTestCase {
    func tinyVAE() throws -> AutoencoderKL {
        let config = try AutoencoderKLConfig.load(referenceFixtures.path("vae_tiny_config.json"))
        let vae = try AutoencoderKL(config, factory: .uninitialized)
        try vae.load(referenceFixtures.load("vae_tiny_weights"), source: "vae_tiny_weights.safetensors")
        return vae
    }

    func testTinyConfigDecodes() throws {
        let config = try AutoencoderKLConfig.load(referenceFixtures.path("vae_tiny_config.json"))
        XCTAssertEqual(config.blockOutChannels, [16, 32])
        XCTAssertEqual(config.downBlockTypes, ["DownEncoderBlock2D", "DownEncoderBlock2D"])
        XCTAssertEqual(config.layersPerBlock, 1)
        XCTAssertEqual(config.normNumGroups, 8)
        XCTAssertEqual(config.latentChannels, 4)
        XCTAssertEqual(config.sampleSize, 32)
        XCTAssertEqual(config.scalingFactor, 0.18215)
        XCTAssertNil(config.shiftFactor)
        XCTAssertTrue(config.forceUpcast && config.useQuantConv && config.usePostQuantConv && config.midBlockAddAttention)
        let again = try JSONDecoder().decode(AutoencoderKLConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
    }

    /// runwayml/stable-diffusion-v1-5 vae/config.json (an older diffusers, without the newer keys).
    static let sd15ConfigJSON = """
        {
          "_class_name": "AutoencoderKL",
          "_diffusers_version": "0.6.0",
          "act_fn": "silu",
          "block_out_channels": [128, 256, 512, 512],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
          "in_channels": 3,
          "latent_channels": 4,
          "layers_per_block": 2,
          "norm_num_groups": 32,
          "out_channels": 3,
          "sample_size": 512,
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
        }
        """

    func testStableDiffusion15ParameterCount() throws {
        let config = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(Self.sd15ConfigJSON.utf8))
        XCTAssertEqual(config, .stableDiffusion15)
        let vae = try AutoencoderKL(config, factory: .uninitialized)
        XCTAssertEqual(vae.parameterCount, 83_653_863)
        let names = Set(vae.namedParameters().map(\.name))
        XCTAssertEqual(names.count, vae.namedParameters().count)
        for name in ["encoder.down_blocks.0.downsamplers.0.conv.weight", "encoder.mid_block.attentions.0.group_norm.weight",
                     "encoder.mid_block.attentions.0.to_out.0.bias", "encoder.mid_block.resnets.1.conv2.weight",
                     "decoder.up_blocks.3.resnets.2.norm1.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight",
                     "decoder.up_blocks.2.resnets.0.conv_shortcut.weight",
                     "quant_conv.weight", "post_quant_conv.bias", "encoder.conv_out.weight"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("decoder.up_blocks.3.upsamplers.0.conv.weight"))
    }

    func testUnsupportedBlockTypeIsNamed() throws {
        var config = AutoencoderKLConfig.stableDiffusion15
        config.downBlockTypes[1] = "AttnDownEncoderBlock2D"
        XCTAssertThrowsError(try AutoencoderKL(config, factory: .uninitialized)) { error in
            XCTAssertEqual(error as? AutoencoderKLError, .unsupportedBlockType("AttnDownEncoderBlock2D"))
            XCTAssertTrue("\(error)".contains("AttnDownEncoderBlock2D"))
        }
        config = .stableDiffusion15
        config.upBlockTypes = ["UpDecoderBlock2D"]
        XCTAssertThrowsError(try AutoencoderKL(config, factory: .uninitialized))
        config = .stableDiffusion15
        config.actFn = "gelu"
        XCTAssertThrowsError(try AutoencoderKL(config, factory: .uninitialized)) {
            XCTAssertEqual($0 as? AutoencoderKLError, .unsupportedActivation("gelu"))
        }
    }

    func testWithoutOptionalPartsParameterNames() throws {
        var config = AutoencoderKLConfig()
        config.normNumGroups = 8
        config.blockOutChannels = [16]
        config.useQuantConv = false
        config.usePostQuantConv = false
        config.midBlockAddAttention = false
        let names = try AutoencoderKL(config, factory: .uninitialized).namedParameters().map(\.name)
        XCTAssertFalse(names.contains { $0.contains("quant_conv") || $0.contains("attentions") })
    }

    func testEncodeSampleDecodeMatchDiffusers() throws {
        let vae = try tinyVAE()
        let io = try referenceFixtures.load("vae_tiny_io")
        try Tensor.withNoGrad {
            let posterior = try vae.encode(io.fixture("image"))
            try assertParity(posterior.mean, io.fixture("mean"), VAEBudget.forward, "mean", in: referenceFixtures)
            try assertParity(posterior.logvar, io.fixture("logvar"), VAEBudget.forward, "logvar", in: referenceFixtures)
            try assertParity(posterior.std, io.fixture("std"), VAEBudget.forward, "std", in: referenceFixtures)
            XCTAssertTrue(posterior.mode() === posterior.mean)
            let sample = try posterior.sample(generator: Generator(seed: 1234))
            try assertParity(sample, io.fixture("sample"), VAEBudget.forward, "sample", in: referenceFixtures)
            try assertParity(vae.decode(io.fixture("sample")), io.fixture("decoded"), VAEBudget.forward, "decoded", in: referenceFixtures)
        }
    }

    func testLogvarIsClamped() throws {
        let vae = try tinyVAE()
        let io = try referenceFixtures.load("vae_tiny_io")
        try Tensor.withNoGrad {
            let bias = try XCTUnwrap(vae.quantConv?.bias)
            try bias.add_(Tensor([0, 0, 0, 0, 100, 100, -100, -100] as [Float]))
            let posterior = try vae.encode(io.fixture("image"))
            try assertParity(posterior.mean, io.fixture("big_logvar.mean"), VAEBudget.forward, "mean", in: referenceFixtures)
            try assertParity(posterior.logvar, io.fixture("big_logvar.logvar"), VAEBudget.forward, "clamped logvar", in: referenceFixtures)
            XCTAssertEqual(try posterior.logvar.amax().item(), 20)
            XCTAssertEqual(try posterior.logvar.amin().item(), -30)
        }
    }

    func testDecoderGradients() throws {
        try checkDecoderGradients(checkpointing: false)
    }

    func testDecoderGradientsWithCheckpointing() throws {
        try checkDecoderGradients(checkpointing: true)
    }

    func checkDecoderGradients(checkpointing: Bool) throws {
        let vae = try tinyVAE()
        vae.gradientCheckpointing = checkpointing
        try vae.setRequiresGrad(true)
        let io = try referenceFixtures.load("vae_tiny_io")
        let z = try io.fixture("z").clone().requiringGrad()
        let out = try vae.decode(z)
        try assertParity(out, io.fixture("z_decoded"), VAEBudget.forward, "z_decoded", in: referenceFixtures)
        try (out * io.fixture("upstream")).sum().backward()
        try assertParity(XCTUnwrap(z.grad()), io.fixture("grad.z"), VAEBudget.backward, "grad.z", in: referenceFixtures)
        let parameters = vae.stateDict()
        let expected = io.stripping(prefix: "grad.param.")
        XCTAssertFalse(expected.isEmpty)
        for (name, grad) in expected {
            try assertParity(XCTUnwrap(parameters[name]?.grad(), name), grad, VAEBudget.backward, "grad \(name)", in: referenceFixtures)
        }
    }

    /// diffusers' fixtures cover the decoder's gradients; the encoder's checkpointed blocks must give the
    /// same gradients as the plain run (the reentrant checkpoint recomputes exactly the same ops).
    func testEncoderCheckpointingKeepsGradients() throws {
        let io = try referenceFixtures.load("vae_tiny_io")
        var results: [[Tensor]] = []
        for checkpointing in [false, true] {
            let vae = try tinyVAE()
            vae.gradientCheckpointing = checkpointing
            XCTAssertEqual(vae.encoder.gradientCheckpointing, checkpointing)
            try vae.setRequiresGrad(true)
            let image = try io.fixture("image").clone().requiringGrad()
            let posterior = try vae.encode(image)
            try (posterior.mean.sum() + posterior.logvar.square().sum()).backward()
            let encoderParameters = vae.encoder.stateDict()
            let gradients = try ["conv_in.weight", "down_blocks.0.resnets.0.conv1.weight", "mid_block.attentions.0.to_v.weight",
                        "mid_block.resnets.1.norm2.bias"].map { try XCTUnwrap(encoderParameters[$0]?.grad(), $0) }
            try results.append([posterior.mean.detach(), XCTUnwrap(image.grad())] + gradients)
        }
        for (plain, checkpointed) in zip(results[0], results[1]) {
            try assertParity(checkpointed, plain, .exact, "encoder checkpointing", in: referenceFixtures)
        }
    }

    func testBadInputsThrow() throws {
        let vae = try tinyVAE()
        XCTAssertThrowsError(try vae.encode(Tensor.zeros([1, 4, 8, 8]))) {
            XCTAssertTrue("\($0)".contains("[B, 3, H, W]"), "\($0)")
        }
        XCTAssertThrowsError(try vae.decode(Tensor.zeros([1, 3, 8, 8])))
        XCTAssertThrowsError(try AutoencoderKLConfig.load("/nonexistent/config.json")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/config.json"))
        }
    }
}
