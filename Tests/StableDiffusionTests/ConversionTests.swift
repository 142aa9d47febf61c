import Foundation
import SafeTensors
import Torch
import ParityTesting
import XCTest
@testable import StableDiffusion

/// The single-file (LDM) -> diffusers conversion against diffusers 0.42.1's own conversion functions
/// (tools/reference/checkpoint_fixtures.py): same key sets, bit-identical tensors.
final class ConversionTests: XCTestCase {
    /// The tiny fixture's layout: UNet model_channels 8, channel_mult [1, 2], 1 res block, attention at level 0;
    /// VAE ch 8, ch_mult [1, 2], 1 res block; CLIP text 2 layers.
    static let tiny = LDMCheckpointConverter(
        unet: UNetCheckpointLayout(modelChannels: 8, channelMult: [1, 2], numResBlocks: 1, attentionResolutions: [1]),
        vae: VAECheckpointLayout(ch: 8, chMult: [1, 2], numResBlocks: 1),
        textEncoder: TextEncoderCheckpointLayout(numHiddenLayers: 2))

    func testTinyCheckpointMatchesDiffusersFromFile() throws {
        let expected = try referenceFixtures.load("ckpt_diffusers_tiny")
        let converted = try Self.tiny.convert(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"))
        XCTAssertEqual(Set(converted.keys), Set(CheckpointComponent.allCases))
        try assertIdentical(converted[.unet]!, expected.stripping(prefix: "unet."), "unet")
        try assertIdentical(converted[.vae]!, expected.stripping(prefix: "vae."), "vae")
        try assertIdentical(converted[.textEncoder]!, expected.stripping(prefix: "text_encoder."), "text_encoder")
    }

    func testTinyCheckpointMatchesDiffusersFromDictionary() throws {
        let expected = try referenceFixtures.load("ckpt_diffusers_tiny")
        let converted = try Self.tiny.convert(referenceFixtures.load("ckpt_ldm_tiny"))
        try assertIdentical(converted[.unet]!, expected.stripping(prefix: "unet."), "unet")
        try assertIdentical(converted[.vae]!, expected.stripping(prefix: "vae."), "vae")
        try assertIdentical(converted[.textEncoder]!, expected.stripping(prefix: "text_encoder."), "text_encoder")
    }

    func testExtractEMAMatchesDiffusers() throws {
        var converter = Self.tiny
        converter.extractEMA = true
        let expected = try referenceFixtures.load("ckpt_diffusers_tiny")
        let converted = try converter.convert(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"),
                                              components: [.unet])
        XCTAssertEqual(Array(converted.keys), [.unet])
        try assertIdentical(converted[.unet]!, expected.stripping(prefix: "unet_ema."), "unet_ema")
    }

    func testVAEAttentionBecomesLinear() throws {
        let converted = try Self.tiny.convert(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"), components: [.vae])
        let vae = converted[.vae]!
        for part in ["encoder", "decoder"] {
            for name in ["to_q", "to_k", "to_v", "to_out.0"] {
                XCTAssertEqual(vae["\(part).mid_block.attentions.0.\(name).weight"]?.shape, [16, 16], "\(part) \(name)")
                XCTAssertEqual(vae["\(part).mid_block.attentions.0.\(name).bias"]?.shape, [16])
            }
        }
    }

    func testPlanIgnoresBuffersEMAAndPositionIDs() throws {
        let file = try SafeTensorsFile(path: referenceFixtures.path("ckpt_ldm_tiny.safetensors"))
        let plan = try Self.tiny.plan(keys: file.names, components: [.textEncoder])
        XCTAssertTrue(plan.ignoredKeys.contains("cond_stage_model.transformer.text_model.embeddings.position_ids"))
        XCTAssertTrue(plan.ignoredKeys.contains("betas"))
        XCTAssertTrue(plan.ignoredKeys.contains("model_ema.num_updates"))
        XCTAssertTrue(plan.ignoredKeys.contains("model.diffusion_model.time_embed.0.weight"))
        XCTAssertFalse(plan.diffusersKeys(.textEncoder).contains { $0.hasSuffix("position_ids") })
        XCTAssertEqual(plan.diffusersKeys(.unet), [])
        XCTAssertEqual(plan.ignoredKeys.count + plan.mappings[.textEncoder]!.count, file.names.count)
    }

    func testDTypeConversion() throws {
        let converted = try Self.tiny.convert(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"),
                                              components: [.textEncoder], dtype: .float32)
        let expected = try referenceFixtures.load("ckpt_diffusers_tiny").stripping(prefix: "text_encoder.")
        for (key, tensor) in converted[.textEncoder]! {
            XCTAssertEqual(tensor.dtype, .float32, key)
            try assertIdentical([key: tensor], [key: expected[key]!.to(.float32)], key)
        }
    }

    // MARK: SD 1.5 names, header only

    /// Every tensor name of a real SD 1.5 LDM checkpoint (1-element tensors): the planned diffusers names equal
    /// diffusers' conversion, which the fixture script checked against full-size diffusers/transformers models.
    func testSD15HeaderPlansDiffusersKeys() throws {
        let expected = try referenceFixtures.json("ckpt_sd15_diffusers_keys.json") as! [String: [String]]
        let plan = try LDMCheckpointConverter().plan(fileAt: referenceFixtures.path("ckpt_sd15_header.safetensors"))
        XCTAssertEqual(plan.diffusersKeys(.unet), expected["unet"]!.sorted())
        XCTAssertEqual(plan.diffusersKeys(.vae), expected["vae"]!.sorted())
        XCTAssertEqual(plan.diffusersKeys(.textEncoder), expected["text_encoder"]!.sorted())
        XCTAssertEqual(plan.mappings[.unet]!.count, 686)
        XCTAssertEqual(plan.mappings[.vae]!.count, 248)
        XCTAssertEqual(plan.mappings[.textEncoder]!.count, 196)
        XCTAssertEqual(plan.ignoredKeys, ["alphas_cumprod", "alphas_cumprod_prev", "betas",
            "cond_stage_model.transformer.text_model.embeddings.position_ids", "log_one_minus_alphas_cumprod",
            "model_ema.decay", "model_ema.num_updates", "posterior_log_variance_clipped", "posterior_mean_coef1",
            "posterior_mean_coef2", "posterior_variance", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
            "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod"])
        let shapes = try LDMCheckpointConverter().convertedShapes(fileAt: referenceFixtures.path("ckpt_sd15_header.safetensors"))
        XCTAssertEqual(shapes[.vae]?["decoder.mid_block.attentions.0.to_q.weight"], [1, 1])
        XCTAssertEqual(shapes[.unet]?["conv_in.weight"], [1, 4, 1, 1])
    }

    func testLayoutsGiveDiffusersBlockTypes() throws {
        let configs = try referenceFixtures.json("ckpt_tiny_configs.json") as! [String: [String: Any]]
        for (name, layout) in [("tiny", Self.tiny.unet), ("sd15", UNetCheckpointLayout.sd15)] {
            let config = configs[name]!["unet_config"] as! [String: Any]
            XCTAssertEqual(layout.downBlockTypes, config["down_block_types"] as! [String], name)
            XCTAssertEqual(layout.upBlockTypes, config["up_block_types"] as! [String], name)
            XCTAssertEqual(layout.blockOutChannels, config["block_out_channels"] as! [Int], name)
            XCTAssertEqual(layout.layersPerBlock, config["layers_per_block"] as! Int, name)
            XCTAssertEqual(layout.transformerLayersPerBlock, config["transformer_layers_per_block"] as! Int, name)
        }
        for (name, layout) in [("tiny", Self.tiny.vae), ("sd15", VAECheckpointLayout.sd15)] {
            let config = configs[name]!["vae_config"] as! [String: Any]
            XCTAssertEqual(layout.blockOutChannels, config["block_out_channels"] as! [Int], name)
            XCTAssertEqual(layout.layersPerBlock, config["layers_per_block"] as! Int, name)
        }
    }

    // MARK: errors

    func testUnknownKeyIsNamed() throws {
        var checkpoint = try referenceFixtures.load("ckpt_ldm_tiny")
        checkpoint["model.diffusion_model.input_blocks.1.2.weight"] = try Tensor.zeros([1])
        checkpoint["cond_stage_model.model.token_embedding.weight"] = try Tensor.zeros([1])
        assertThrows(.unknownKeys("cond_stage_model.model.token_embedding.weight", "model.diffusion_model.input_blocks.1.2.weight")) {
            try Self.tiny.convert(checkpoint)
        }
        // The SD 1.5 layout does not fit the tiny file: its level-1 attention keys are missing, and the tiny
        // file's keys for a 2-level UNet are unknown to a 4-level one (input_blocks.3.0.skip_connection).
        // Keys under an ignored prefix are not unknown.
        var lenient = Self.tiny
        lenient.ignoredPrefixes = ["model.diffusion_model.input_blocks.1.2.", "cond_stage_model.model."]
        let ignored = try lenient.plan(keys: checkpoint.keys).ignoredKeys
        XCTAssertTrue(ignored.contains("cond_stage_model.model.token_embedding.weight"))
        XCTAssertTrue(ignored.contains("model.diffusion_model.input_blocks.1.2.weight"))
        assertThrows(.unknownKeys("model.diffusion_model.")) {
            try LDMCheckpointConverter().plan(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"))
        }
    }

    func testMissingKeyIsNamed() throws {
        var checkpoint = try referenceFixtures.load("ckpt_ldm_tiny")
        checkpoint["first_stage_model.decoder.mid.attn_1.q.weight"] = nil
        assertThrows(.missingKeys("first_stage_model.decoder.mid.attn_1.q.weight", "vae")) {
            try Self.tiny.convert(checkpoint)
        }
        // Only the components asked for must be complete.
        XCTAssertNoThrow(try Self.tiny.convert(checkpoint, components: [.unet, .textEncoder]))

        checkpoint = try referenceFixtures.load("ckpt_ldm_tiny")
        checkpoint = checkpoint.filter { !$0.key.hasPrefix("model_ema.diffusion_model") }
        var ema = Self.tiny
        ema.extractEMA = true
        assertThrows(.missingKeys("model_ema.diffusion_model", "unet")) { try ema.convert(checkpoint, components: [.unet]) }
    }

    func testLargeAttentionKernelIsRejected() throws {
        var checkpoint = try referenceFixtures.load("ckpt_ldm_tiny")
        checkpoint["first_stage_model.encoder.mid.attn_1.k.weight"] = try Tensor.zeros([16, 16, 3, 3])
        assertThrows(.invalidTensor("first_stage_model.encoder.mid.attn_1.k.weight", "[16, 16, 3, 3]")) {
            try Self.tiny.convert(checkpoint, components: [.vae])
        }
    }

    func testMissingFileIsNamed() {
        assertThrows(CheckpointErrorMatcher(name: "SafeTensorsError", test: { $0 is SafeTensorsError },
                                            contains: ["/nonexistent/model.safetensors"])) {
            try LDMCheckpointConverter().plan(fileAt: "/nonexistent/model.safetensors")
        }
    }

    func testLayoutsDecodeFromJSON() throws {
        let json = #"{"block_out_channels": [8, 16], "layers_per_block": 1, "attention_resolutions": [1], "transformer_layers_per_block": 1}"#
        XCTAssertEqual(try JSONDecoder().decode(UNetCheckpointLayout.self, from: Data(json.utf8)), Self.tiny.unet)
    }

    func testInvalidLayoutThrows() {
        let converter = LDMCheckpointConverter(unet: UNetCheckpointLayout(blockOutChannels: [], layersPerBlock: 2,
                                                                          attentionResolutions: []))
        XCTAssertThrowsError(try converter.plan(keys: [String]()))
    }
}

/// Configs written next to converted weights, against diffusers' create_*_diffusers_config_from_ldm.
final class ConversionConfigTests: XCTestCase {
    func testConfigsMatchDiffusers() throws {
        let configs = try referenceFixtures.json("ckpt_tiny_configs.json") as! [String: [String: Any]]
        for (name, unet, vae) in [("tiny", ConversionTests.tiny.unet, ConversionTests.tiny.vae),
                                  ("sd15", UNetCheckpointLayout.sd15, VAECheckpointLayout.sd15)] {
            let expectedUNet = configs[name]!["unet_config"] as! NSDictionary
            let unetData = try LDMDiffusersConfigs.unet(
                unet, sampleSize: expectedUNet["sample_size"] as! Int,
                crossAttentionDim: expectedUNet["cross_attention_dim"] as! Int,
                attentionHeadDim: expectedUNet["attention_head_dim"] as! Int)
            var gotUNet = try JSONSerialization.jsonObject(with: unetData) as! [String: Any]
            XCTAssertEqual(gotUNet.removeValue(forKey: "_class_name") as? String, "UNet2DConditionModel")
            XCTAssertEqual(NSDictionary(dictionary: gotUNet), expectedUNet, name)

            let expectedVAE = configs[name]!["vae_config"] as! NSDictionary
            let vaeData = try LDMDiffusersConfigs.vae(vae, sampleSize: expectedVAE["sample_size"] as! Int)
            var gotVAE = try JSONSerialization.jsonObject(with: vaeData) as! [String: Any]
            XCTAssertEqual(gotVAE.removeValue(forKey: "_class_name") as? String, "AutoencoderKL")
            XCTAssertEqual(NSDictionary(dictionary: gotVAE), expectedVAE, name)
        }
    }
}
