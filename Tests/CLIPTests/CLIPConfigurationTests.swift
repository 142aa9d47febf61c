import CLIP
import Foundation
import XCTest

final class CLIPConfigurationTests: XCTestCase {
    /// SD 1.5's text_encoder/config.json (runwayml/stable-diffusion-v1-5), as written by transformers 4.x.
    let sd15TextEncoderJSON = """
        {"_name_or_path": "openai/clip-vit-large-patch14", "architectures": ["CLIPTextModel"],
         "attention_dropout": 0.0, "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2, "hidden_act": "quick_gelu",
         "hidden_size": 768, "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 3072,
         "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model",
         "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 1, "projection_dim": 768,
         "torch_dtype": "float32", "transformers_version": "4.22.0.dev0", "vocab_size": 49408}
        """

    func testDecodesStableDiffusion15TextEncoderConfig() throws {
        let config = try JSONDecoder().decode(CLIPTextConfig.self, from: Data(sd15TextEncoderJSON.utf8))
        XCTAssertEqual(config, CLIPTextConfig.stableDiffusion15)
    }

    func testDecodesFixtureConfigs() throws {
        let legacy = try CLIPTextConfig.load(contentsOf: referenceFixtures.url("text_legacy.json"))
        XCTAssertEqual(legacy, CLIPTextConfig(vocabSize: 1000, hiddenSize: 32, intermediateSize: 64, projectionDim: 16,
                                              numHiddenLayers: 3, numAttentionHeads: 4, maxPositionEmbeddings: 77,
                                              hiddenAct: .quickGelu, padTokenId: 1, bosTokenId: 998, eosTokenId: 2))
        let eos = try CLIPTextConfig.load(contentsOf: referenceFixtures.url("text_eos.json"))
        XCTAssertEqual(eos.hiddenAct, .gelu)
        XCTAssertEqual(eos.eosTokenId, 500)
        let vision = try CLIPVisionConfig.load(contentsOf: referenceFixtures.url("vision.json"))
        XCTAssertEqual(vision, CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, projectionDim: 16,
                                                numHiddenLayers: 2, numAttentionHeads: 4, numChannels: 3, imageSize: 32,
                                                patchSize: 8, hiddenAct: .quickGelu))
        let clip = try CLIPConfig.load(contentsOf: referenceFixtures.url("clip.json"))
        XCTAssertEqual(clip.projectionDim, 16)
        XCTAssertEqual(clip.textConfig.eosTokenId, 999)
        XCTAssertEqual(clip.visionConfig, vision)
        XCTAssertEqual(clip.logitScaleInitValue, 2.6592, accuracy: 1e-9)
    }

    func testMissingKeysTakeTransformersDefaults() throws {
        let text = try JSONDecoder().decode(CLIPTextConfig.self, from: Data("{}".utf8))
        XCTAssertEqual(text, CLIPTextConfig())
        XCTAssertEqual(text.eosTokenId, 49407)
        let vision = try JSONDecoder().decode(CLIPVisionConfig.self, from: Data(#"{"image_size": [336, 336]}"#.utf8))
        XCTAssertEqual(vision.imageSize, 336)
        XCTAssertEqual(vision.patchSize, 32)
    }

    func testLegacyConfigDictsWin() throws {
        let json = """
            {"text_config": {"hidden_size": 64}, "text_config_dict": {"hidden_size": 768, "num_attention_heads": 12},
             "vision_config_dict": {"hidden_size": 1024, "num_attention_heads": 16, "patch_size": 14},
             "projection_dim": 768}
            """
        let config = try JSONDecoder().decode(CLIPConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.textConfig.hiddenSize, 768)
        XCTAssertEqual(config.visionConfig.patchSize, 14)
        XCTAssertEqual(config.projectionDim, 768)
    }

    func testUnsupportedActivationIsNamed() {
        let json = #"{"hidden_act": "swish"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(CLIPTextConfig.self, from: Data(json.utf8))) { error in
            XCTAssertEqual(error as? CLIPError, .unsupportedActivation("swish"))
            XCTAssert("\(error)".contains("swish"), "\(error)")
        }
    }

    func testHeadsMustDivideHiddenSize() {
        let json = #"{"hidden_size": 30, "num_attention_heads": 4}"#
        XCTAssertThrowsError(try JSONDecoder().decode(CLIPVisionConfig.self, from: Data(json.utf8))) { error in
            XCTAssert("\(error)".contains("num_attention_heads"), "\(error)")
        }
    }
}
