import Foundation
import XCTest
@testable import Diffusion

/// UNet2DConditionConfig decoding from diffusers' config.json and its unsupported-option errors.
final class UNetConfigTests: XCTestCase {
    /// runwayml/stable-diffusion-v1-5 unet/config.json as published.
    static let stableDiffusion15JSON = """
    {
      "_class_name": "UNet2DConditionModel",
      "_diffusers_version": "0.6.0",
      "act_fn": "silu",
      "attention_head_dim": 8,
      "block_out_channels": [320, 640, 1280, 1280],
      "center_input_sample": false,
      "cross_attention_dim": 768,
      "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
      "downsample_padding": 1,
      "flip_sin_to_cos": true,
      "freq_shift": 0,
      "in_channels": 4,
      "layers_per_block": 2,
      "mid_block_scale_factor": 1,
      "norm_eps": 1e-05,
      "norm_num_groups": 32,
      "out_channels": 4,
      "sample_size": 64,
      "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    }
    """

    private func decode(_ json: String) throws -> UNet2DConditionConfig {
        try JSONDecoder().decode(UNet2DConditionConfig.self, from: Data(json.utf8))
    }

    /// The SD 1.5 JSON with one key replaced or added.
    private func sd15(_ key: String, _ value: String) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(Self.stableDiffusion15JSON.utf8)) as! [String: Any]
        object[key] = try! JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func testStableDiffusion15Config() throws {
        let config = try decode(Self.stableDiffusion15JSON)
        XCTAssertEqual(config, .stableDiffusion15)
        XCTAssertEqual(config.attentionHeadDim, .shared(8))
        XCTAssertFalse(config.useLinearProjection)
        let again = try JSONDecoder().decode(UNet2DConditionConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
    }

    func testFixtureConfigsDecode() throws {
        let tiny = try UNet2DConditionConfig.load(referenceFixtures.path("unet_tiny_config.json"))
        XCTAssertEqual(tiny.blockOutChannels, [16, 32])
        XCTAssertEqual(tiny.downBlockTypes, ["CrossAttnDownBlock2D", "DownBlock2D"])
        let linear = try UNet2DConditionConfig.load(referenceFixtures.path("unet_linear_config.json"))
        XCTAssertEqual(linear.attentionHeadDim, .list([2, 4]))
        XCTAssertEqual(linear.layersPerBlock, .list([2, 1]))
        XCTAssertEqual(linear.transformerLayersPerBlock, .list([1, 2]))
        XCTAssertTrue(linear.useLinearProjection)
        XCTAssertEqual(linear.onlyCrossAttention, .list([true, false]))
    }

    /// SD 2.x: attention_head_dim is a list (heads per block), linear projections.
    func testStableDiffusion2StyleLists() throws {
        let config = try decode(sd15("attention_head_dim", "[5, 10, 20, 20]"))
        XCTAssertEqual(config.attentionHeadDim, .list([5, 10, 20, 20]))
        let model = try UNet2DConditionModel(config, factory: .uninitialized)
        let down = try XCTUnwrap(model.downBlocks[1] as? CrossAttnDownBlock2D)
        XCTAssertEqual(down.attentions[0].transformerBlocks[0].attn2.heads, 10)
        XCTAssertEqual(down.attentions[0].transformerBlocks[0].attn2.dimHead, 64)
        let up = try XCTUnwrap(model.upBlocks[1] as? CrossAttnUpBlock2D)
        XCTAssertEqual(up.attentions[0].transformerBlocks[0].attn2.heads, 20, "up block 1 mirrors down block 2")
    }

    func testUnsupportedOptionsNameKeyAndValue() throws {
        let cases: [(String, String, String)] = [
            ("down_block_types", #"["AttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]"#, "AttnDownBlock2D"),
            ("up_block_types", #"["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "AttnUpBlock2D"]"#, "AttnUpBlock2D"),
            ("mid_block_type", #""UNetMidBlock2DSimpleCrossAttn""#, "UNetMidBlock2DSimpleCrossAttn"),
            ("mid_block_type", "null", "null"),
            ("num_attention_heads", "8", "8"),
            ("class_embed_type", #""timestep""#, "timestep"),
            ("addition_embed_type", #""text_time""#, "text_time"),
            ("dual_cross_attention", "true", "true"),
            ("act_fn", #""gelu""#, "gelu"),
            ("resnet_time_scale_shift", #""scale_shift""#, "scale_shift"),
            ("time_cond_proj_dim", "256", "256"),
            ("transformer_layers_per_block", "[[1, 2], [1, 2], [1, 2], [1, 2]]", "nested"),
        ]
        for (key, value, shown) in cases {
            XCTAssertThrowsError(try decode(sd15(key, value)), key) { error in
                XCTAssert("\(error)".contains(key) && "\(error)".contains(shown), "\(key): \(error)")
            }
        }
        XCTAssertThrowsError(try decode(sd15("attention_head_dim", "[8, 8]"))) {
            XCTAssert("\($0)".contains("attention_head_dim"), "\($0)")
        }
        var config = UNet2DConditionConfig.stableDiffusion15
        config.downBlockTypes[0] = "SimpleCrossAttnDownBlock2D"
        XCTAssertThrowsError(try UNet2DConditionModel(config, factory: .uninitialized)) {
            XCTAssert("\($0)".contains("down_block_types") && "\($0)".contains("SimpleCrossAttnDownBlock2D"), "\($0)")
        }
        XCTAssertThrowsError(try UNet2DConditionConfig.load("/nonexistent/config.json"))
    }
}
