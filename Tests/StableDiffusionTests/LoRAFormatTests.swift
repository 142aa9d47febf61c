import Foundation
import NN
import SafeTensors
import StableDiffusion
import Torch
import XCTest

/// Reading, writing and converting the two LoRA file formats: exact (only names and containers change).
final class LoRAFormatTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws { folder = try referenceFixtures.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    private func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    func testTheTwoReferenceFilesHoldTheSameAdapters() throws {
        let models = try LoRATestSupport.pipeline().loraModels
        let kohya = try LoRAWeights.read(LoRATestSupport.kohyaFixture, models: models)
        let diffusers = try LoRAWeights.read(LoRATestSupport.diffusersFixture, models: models)
        XCTAssertEqual(kohya.format, .kohya)
        XCTAssertEqual(diffusers.format, .diffusers)
        try LoRATestSupport.assertSameAdapters(kohya, diffusers, "kohya vs diffusers file")
        // 5 kinds of UNet layer in 4 transformer blocks' attentions (+ proj_in), 4 text-encoder projections x 2 layers.
        XCTAssertEqual(kohya.adapters.filter { $0.component == .unet }.count, 4 * (2 * 4 + 1))
        XCTAssertEqual(kohya.adapters.filter { $0.component == .textEncoder }.count, 8)
        XCTAssert(kohya.adapters.allSatisfy { $0.component == .unet ? $0.rank == 4 && $0.alpha == 8 : $0.rank == 2 && $0.alpha == 1 })
        let projIn = try XCTUnwrap(kohya.adapter(.unet, "down_blocks.0.attentions.0.proj_in"))
        XCTAssertEqual(projIn.down.shape, [4, 16, 1, 1])
        XCTAssertEqual(projIn.downKey, "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight")
        XCTAssertNotNil(kohya.adapter(.unet, "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_out.0"))
        XCTAssertNotNil(diffusers.adapter(.textEncoder, "text_model.encoder.layers.1.self_attn.out_proj"))
        XCTAssertEqual(kohya.metadata["ss_output_name"], "lora_kohya")
        XCTAssertNotNil(diffusers.metadata["lora_adapter_metadata"])
    }

    func testConversionsBetweenTheFormatsAreExact() throws {
        let models = try LoRATestSupport.pipeline().loraModels
        let kohya = try LoRAWeights.read(LoRATestSupport.kohyaFixture, models: models)
        let diffusers = try LoRAWeights.read(LoRATestSupport.diffusersFixture, models: models)

        try kohya.write(to: path("k2d.safetensors"), format: .diffusers)
        try LoRATestSupport.assertSameAdapters(try LoRAWeights.read(path("k2d.safetensors"), models: models), diffusers,
                                               "kohya -> diffusers")
        try diffusers.write(to: path("d2k.safetensors"), format: .kohya)
        try LoRATestSupport.assertSameAdapters(try LoRAWeights.read(path("d2k.safetensors"), models: models), kohya,
                                               "diffusers -> kohya")
        // Our kohya names, alpha tensors and bytes are the ones the reference script gave the same LoRA.
        try assertIdentical(try SafeTensors.load(path("d2k.safetensors")), try SafeTensors.load(LoRATestSupport.kohyaFixture),
                            "kohya file written from the diffusers file")
        // And our diffusers keys are diffusers' (its text encoder keys lack `text_model.` under transformers 5).
        let ours = try SafeTensors.load(path("k2d.safetensors"))
        let theirs = try SafeTensors.load(LoRATestSupport.diffusersFixture)
        try assertIdentical(ours, Dictionary(uniqueKeysWithValues: theirs.map { key, value in
            (key.hasPrefix("text_encoder.") ? key.replacingOccurrences(of: "text_encoder.", with: "text_encoder.text_model.") : key,
             value)
        }), "diffusers file written from the kohya file")
    }

    func testRoundTripOfBothFormatsIsExact() throws {
        let trained = try LoRATestSupport.pipeline()
        try LoRATestSupport.injectRandomLoRA(into: trained)
        let expected = LoRAWeights.extract(from: trained.loraModels)
        XCTAssertEqual(expected.adapters.count, trained.unet.loraAdapters().count + trained.textEncoder.loraAdapters().count)
        XCTAssertEqual(Set(expected.adapters.map(\.rank)), [2, 3, 4])
        XCTAssertEqual(Set(expected.adapters.map(\.alpha)), [0.5, 3, 5, 8])
        for format in LoRAFormat.allCases {
            let file = path("roundtrip-\(format).safetensors")
            try trained.saveLoRA(to: file, format: format)
            let fresh = try LoRATestSupport.pipeline()
            let read = try fresh.loadLoRA(file, scale: 0.25)
            XCTAssertEqual(read.format, format)
            try LoRATestSupport.assertSameAdapters(read, expected, "\(format) round trip")
            // The adapters land on the same layers with the same tensors, alphas, and the scale asked for.
            try LoRATestSupport.assertSameAdapters(LoRAWeights.extract(from: fresh.loraModels), expected, "\(format) applied")
            XCTAssert(fresh.unet.loraAdapters().allSatisfy { $0.lora.strength == 0.25 && !$0.lora.down.requiresGrad })
            // Reading what was read and writing it again gives the same file.
            try read.write(to: file + ".again", format: format)
            try assertIdentical(try SafeTensors.load(file + ".again"), try SafeTensors.load(file), "\(format) rewritten")
            XCTAssertEqual(try SafeTensorsFile(path: file + ".again").metadata, try SafeTensorsFile(path: file).metadata)
        }
    }

    func testReducedPrecisionWriting() throws {
        let models = try LoRATestSupport.pipeline().loraModels
        let kohya = try LoRAWeights.read(LoRATestSupport.kohyaFixture, models: models)
        try kohya.write(to: path("half.safetensors"), format: .kohya, dtype: .float16)
        let tensors = try SafeTensors.load(path("half.safetensors"))
        XCTAssertEqual(Set(tensors.filter { !$0.key.hasSuffix(".alpha") }.values.map(\.dtype)), [.float16])
        XCTAssertEqual(Set(tensors.filter { $0.key.hasSuffix(".alpha") }.values.map(\.dtype)), [.float32])
        let half = try LoRAWeights.read(path("half.safetensors"), models: models)
        XCTAssertEqual(half.adapters.map(\.alpha), kohya.adapters.map(\.alpha))
        // Applying converts to the layers' dtype.
        let pipeline = try LoRATestSupport.pipeline()
        let loras = try half.apply(to: pipeline.loraModels, file: "half.safetensors")
        XCTAssert(loras.allSatisfy { $0.down.dtype == .float32 })
    }

    func testKohyaFileLayoutAndMetadata() throws {
        let models = try LoRATestSupport.pipeline().loraModels
        let weights = try LoRAWeights.read(LoRATestSupport.diffusersFixture, models: models)
        try weights.write(to: path("portrait.safetensors"), format: .kohya,
                          info: LoRAFileInfo(trainingComment: "SPF test", baseModelName: "pipe_tiny",
                                             extra: ["ss_seed": "42"]))
        let file = try SafeTensorsFile(path: path("portrait.safetensors"))
        let alpha = try XCTUnwrap(file.info("lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_out_0.alpha"))
        XCTAssertEqual(alpha.shape, [])
        XCTAssertEqual(alpha.dtype, .float32)
        XCTAssertNotNil(file.info("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight"))
        XCTAssertEqual(file.names.count, 3 * weights.adapters.count)
        let m = file.metadata
        XCTAssertEqual(m["ss_network_module"], "networks.lora")
        XCTAssertEqual(m["ss_network_dim"], "4")  // most layers' rank
        XCTAssertEqual(m["ss_network_alpha"], "8.0")  // Python's str(float), as sd-scripts writes it
        XCTAssertEqual(m["ss_base_model_version"], "sd_v1")
        XCTAssertEqual(m["ss_v2"], "False")
        XCTAssertEqual(m["ss_output_name"], "portrait")
        XCTAssertEqual(m["ss_training_comment"], "SPF test")
        XCTAssertEqual(m["ss_sd_model_name"], "pipe_tiny")
        XCTAssertEqual(m["ss_seed"], "42")
        XCTAssertEqual(m["modelspec.architecture"], "stable-diffusion-v1/lora")
        // Nothing but the file appears in the folder (written through a temporary sibling).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["portrait.safetensors"])
    }

    func testDiffusersFileCarriesAlphaInAdapterMetadata() throws {
        let trained = try LoRATestSupport.pipeline()
        try LoRATestSupport.injectRandomLoRA(into: trained)
        try trained.saveLoRA(to: path("d.safetensors"), format: .diffusers)
        let file = try SafeTensorsFile(path: path("d.safetensors"))
        XCTAssertEqual(file.metadata["format"], "pt")
        let json = try XCTUnwrap(file.metadata["lora_adapter_metadata"])
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(config["unet.r"] as? Int, 4)
        XCTAssertEqual(config["unet.lora_alpha"] as? Int, 8)
        XCTAssertEqual(config["unet.rank_pattern"] as? [String: Int],
                       ["^mid_block.attentions.0.transformer_blocks.0.attn2.to_k": 3])
        XCTAssertEqual(config["unet.alpha_pattern"] as? [String: Int],
                       ["^mid_block.attentions.0.transformer_blocks.0.attn2.to_k": 5])
        XCTAssertEqual(config["text_encoder.r"] as? Int, 2)
        XCTAssertEqual(config["text_encoder.lora_alpha"] as? Double, 0.5)
        XCTAssertEqual(config["text_encoder.alpha_pattern"] as? [String: Int], ["encoder.layers.1.mlp.fc1": 3])
        XCTAssert((config["text_encoder.target_modules"] as? [String])?.contains("encoder.layers.0.self_attn.q_proj") ?? false)
        XCTAssertNotNil(file.info("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight"))
        XCTAssertNotNil(file.info("unet.down_blocks.1.resnets.0.conv_shortcut.lora_B.weight"))
    }

    func testAlphaDefaults() throws {
        let models = try LoRATestSupport.pipeline().loraModels
        // kohya: no alpha entry, or alpha 0, means alpha = rank (sd-scripts' LoRAModule).
        var tensors = try SafeTensors.load(LoRATestSupport.kohyaFixture)
        for key in tensors.keys where key.hasSuffix(".alpha") {
            tensors[key] = key.contains("lora_te_") ? nil : try Tensor.scalar(0)
        }
        try SafeTensors.save(tensors, to: path("k.safetensors"))
        XCTAssert(try LoRAWeights.read(path("k.safetensors"), models: models).adapters.allSatisfy { $0.alpha == Double($0.rank) })
        // diffusers: no lora_adapter_metadata means alpha = rank (scale 1).
        try SafeTensors.save(try SafeTensors.load(LoRATestSupport.diffusersFixture), metadata: ["format": "pt"],
                             to: path("d.safetensors"))
        XCTAssert(try LoRAWeights.read(path("d.safetensors"), models: models).adapters.allSatisfy { $0.alpha == Double($0.rank) })
        // diffusers: absent fields take LoraConfig's defaults (r = 8, lora_alpha = 8).
        let json = #"{"unet.r": 4, "text_encoder.r": 2, "text_encoder.lora_alpha": 6}"#
        try SafeTensors.save(try SafeTensors.load(LoRATestSupport.diffusersFixture),
                             metadata: ["format": "pt", "lora_adapter_metadata": json], to: path("d2.safetensors"))
        let read = try LoRAWeights.read(path("d2.safetensors"), models: models)
        XCTAssert(read.adapters.allSatisfy { $0.alpha == ($0.component == .unet ? 8 : 6) })
    }

    func testFormatDetection() throws {
        XCTAssertEqual(try LoRAFormat.detect(keys: ["lora_unet_x.alpha"], file: "f"), .kohya)
        XCTAssertEqual(try LoRAFormat.detect(keys: ["text_encoder.x.lora_A.weight"], file: "f"), .diffusers)
        XCTAssertThrowsError(try LoRAFormat.detect(keys: ["lora_unet_x.alpha", "lora_te2_y.alpha"], file: "f")) {
            XCTAssertEqual("\($0)", "f: key 'lora_te2_y.alpha': an SDXL LoRA (two text encoders); only SD 1.x LoRAs are supported")
        }
    }
}
