import Foundation
import NN
import SafeTensors
import StableDiffusion
import Torch
import XCTest

/// Every way a LoRA file can be unusable gives an error that names the file and the key at fault, and leaves
/// the models unchanged.
final class LoRAErrorTests: XCTestCase {
    var folder: String!
    var pipeline: StableDiffusionPipeline!

    override func setUpWithError() throws {
        folder = try referenceFixtures.temporaryFolder()
        pipeline = try LoRATestSupport.pipeline()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    static let toQ = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    static let peftToQ = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"

    private func kohya(_ edit: (inout [String: Tensor]) throws -> Void) throws -> [String: Tensor] {
        var tensors = try SafeTensors.load(LoRATestSupport.kohyaFixture)
        try edit(&tensors)
        return tensors
    }

    private func diffusers(_ edit: (inout [String: Tensor]) throws -> Void) throws -> [String: Tensor] {
        var tensors = try SafeTensors.load(LoRATestSupport.diffusersFixture)
        try edit(&tensors)
        return tensors
    }

    private var diffusersMetadata: [String: String] {
        get throws { try SafeTensorsFile(path: LoRATestSupport.diffusersFixture).metadata }
    }

    /// Writes `tensors` as a file, loads it into the pipeline, and checks the error: this file, `key`, and
    /// `text` in its description; and that no layer got an adapter.
    private func assertRejected(_ tensors: [String: Tensor], metadata: [String: String]? = nil, key: String?,
                                _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = (folder as NSString).appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        try SafeTensors.save(tensors, metadata: metadata, to: path)
        assertRejected(path: path, key: key, text, file: file, line: line)
    }

    private func assertRejected(path: String, key: String?, _ text: String, file: StaticString = #filePath,
                                line: UInt = #line) {
        XCTAssertThrowsError(try pipeline.loadLoRA(path, scale: 0.7), file: file, line: line) { error in
            guard let error = error as? LoRAError else { return XCTFail("not a LoRAError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.file, path, file: file, line: line)
            XCTAssertEqual(error.key, key, "\(error)", file: file, line: line)
            XCTAssert(error.reason.contains(text), "\(error)", file: file, line: line)
            XCTAssert("\(error)".hasPrefix(path + (key.map { ": key '\($0)': " } ?? ": ")), "\(error)", file: file, line: line)
        }
        XCTAssert(pipeline.unet.loraAdapters().isEmpty && pipeline.textEncoder.loraAdapters().isEmpty,
                  "a rejected file left adapters behind", file: file, line: line)
    }

    // MARK: kohya

    func testKohyaUnknownLayer() throws {
        try assertRejected(try kohya { t in
            for part in ["lora_down.weight", "lora_up.weight", "alpha"] {
                t["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_z." + part] = t.removeValue(forKey: Self.toQ + "." + part)
            }
        }, key: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_z.lora_down.weight",
           "no Linear or Conv2d layer whose kohya name is 'down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_z'")
    }

    func testKohyaSDXLNamesAndMetadata() throws {
        try assertRejected(try kohya { t in
            t["lora_unet_input_blocks_4_1_proj_in.lora_down.weight"] = try Tensor.zeros([4, 16, 1, 1])
            t["lora_unet_input_blocks_4_1_proj_in.lora_up.weight"] = try Tensor.zeros([16, 4, 1, 1])
        }, key: "lora_unet_input_blocks_4_1_proj_in.lora_down.weight", "sgm UNet names, as SDXL LoRAs use")
        try assertRejected(try kohya { t in
            t["lora_te1_text_model_encoder_layers_0_self_attn_q_proj.alpha"] = try Tensor.scalar(1)
        }, key: "lora_te1_text_model_encoder_layers_0_self_attn_q_proj.alpha", "an SDXL LoRA")
        try assertRejected(try kohya { _ in }, metadata: ["ss_base_model_version": "sdxl_base_v1-0"],
                           key: "ss_base_model_version", "SDXL")
        try assertRejected(try kohya { _ in }, metadata: ["ss_v2": "True"], key: "ss_v2", "SD 2.x")
    }

    func testKohyaLoConOnA3x3Convolution() throws {
        try assertRejected(try kohya { t in
            t["lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight"] = try Tensor.zeros([4, 16, 3, 3])
            t["lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight"] = try Tensor.zeros([16, 4, 1, 1])
            t["lora_unet_down_blocks_0_resnets_0_conv1.alpha"] = try Tensor.scalar(4)
        }, key: "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight", "is a 3x3 convolution")
    }

    func testKohyaLyCORISAndDoRAEntries() throws {
        for (suffix, text) in [("hada_w1_a", "LoHa"), ("lokr_w1", "LoKr"), ("dora_scale", "DoRA"), ("lora_mid.weight", "Tucker"),
                               ("diff", "unsupported entry '.diff'")] {
            try assertRejected(try kohya { t in t[Self.toQ + "." + suffix] = try Tensor.zeros([4]) },
                               key: Self.toQ + "." + suffix, text)
        }
    }

    func testKohyaIncompleteOrMalformedEntries() throws {
        try assertRejected(try kohya { t in t[Self.toQ + ".lora_up.weight"] = nil },
                           key: Self.toQ + ".lora_down.weight", "no matching '\(Self.toQ).lora_up.weight'")
        try assertRejected(try kohya { t in t[Self.toQ + ".lora_down.weight"] = nil },
                           key: Self.toQ + ".lora_up.weight", "no matching '\(Self.toQ).lora_down.weight'")
        try assertRejected(try kohya { t in t[Self.toQ + ".alpha"] = try Tensor.ones([2]) },
                           key: Self.toQ + ".alpha", "alpha must be a single number")
        try assertRejected(try kohya { t in t[Self.toQ + ".alpha"] = try Tensor.scalar(-1) },
                           key: Self.toQ + ".alpha", "not a finite non-negative number")
        try assertRejected(try kohya { t in t["lora_unet_stray"] = try Tensor.zeros([1]) },
                           key: "lora_unet_stray", "not a kohya LoRA entry")
        try assertRejected(try kohya { t in t["unet.x.lora_A.weight"] = try Tensor.zeros([1]) },
                           key: "unet.x.lora_A.weight", "not a kohya SD 1.x key")
    }

    func testKohyaShapesAndTypes() throws {
        try assertRejected(try kohya { t in t[Self.toQ + ".lora_down.weight"] = try Tensor.zeros([4, 17]) },
                           key: Self.toQ + ".lora_down.weight", "shape [4, 17] does not fit the UNet Linear")
        try assertRejected(try kohya { t in t[Self.toQ + ".lora_up.weight"] = try Tensor.zeros([16, 3]) },
                           key: Self.toQ + ".lora_up.weight", "expected [16, 4]")
        try assertRejected(try kohya { t in
            t["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"] = try Tensor.zeros([4, 16])
        }, key: "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", "1x1 convolution")
        try assertRejected(try kohya { t in t[Self.toQ + ".lora_down.weight"] = try Tensor.zeros([4, 16], dtype: .int64) },
                           key: Self.toQ + ".lora_down.weight", "not a floating-point type")
    }

    // MARK: diffusers

    func testDiffusersUnsupportedEntries() throws {
        let metadata = try diffusersMetadata
        for (suffix, text) in [(".lora_magnitude_vector", "DoRA"), (".lora_B.bias", "lora_bias"),
                               (".processor.to_q_lora.down.weight", "old diffusers"), (".lokr_w1", "LoKr"),
                               (".weight", "not a diffusers/PEFT LoRA entry")] {
            try assertRejected(try diffusers { t in t[Self.peftToQ + suffix] = try Tensor.zeros([16]) }, metadata: metadata,
                               key: Self.peftToQ + suffix, text)
        }
        try assertRejected(try diffusers { t in t["text_encoder_2.x.lora_A.weight"] = try Tensor.zeros([1]) },
                           key: "text_encoder_2.x.lora_A.weight", "SDXL")
        try assertRejected(try diffusers { t in t["vae.x.lora_A.weight"] = try Tensor.zeros([1]) },
                           key: "vae.x.lora_A.weight", "not a diffusers LoRA key")
    }

    func testDiffusersIncompleteOrUnknown() throws {
        let metadata = try diffusersMetadata
        try assertRejected(try diffusers { t in t[Self.peftToQ + ".lora_A.weight"] = nil }, metadata: metadata,
                           key: Self.peftToQ + ".lora_B.weight", "no matching lora_A.weight")
        try assertRejected(try diffusers { t in
            t["unet.down_blocks.0.attentions.0.to_q.lora_A.weight"] = try Tensor.zeros([4, 16])
            t["unet.down_blocks.0.attentions.0.to_q.lora_B.weight"] = try Tensor.zeros([16, 4])
        }, metadata: metadata, key: "unet.down_blocks.0.attentions.0.to_q.lora_A.weight",
           "the UNet has no Linear or Conv2d layer named 'down_blocks.0.attentions.0.to_q'")
    }

    func testDiffusersAdapterMetadata() throws {
        let tensors = try SafeTensors.load(LoRATestSupport.diffusersFixture)
        try assertRejected(tensors, metadata: ["lora_adapter_metadata": "{not json"], key: "lora_adapter_metadata",
                           "not a JSON object")
        try assertRejected(tensors, metadata: ["lora_adapter_metadata": #"{"unet.r": 4, "unet.use_rslora": true}"#],
                           key: "lora_adapter_metadata", "use_rslora")
        try assertRejected(tensors, metadata: ["lora_adapter_metadata": #"{"unet.r": 4, "unet.use_dora": true}"#],
                           key: "lora_adapter_metadata", "DoRA")
        try assertRejected(tensors, metadata: ["lora_adapter_metadata": #"{"unet.r": "four"}"#],
                           key: "lora_adapter_metadata", "'unet.r' is not a number")
        let firstUNetKey = tensors.keys.filter { $0.hasPrefix("unet.") && $0.hasSuffix("lora_A.weight") }.sorted()[0]
        try assertRejected(tensors, metadata: ["lora_adapter_metadata": #"{"unet.r": 8, "unet.lora_alpha": 8}"#],
                           key: firstUNetKey, "rank 4 differs from r = 8")
    }

    // MARK: files and models

    func testFilesThatAreNoLoRA() throws {
        try assertRejected(["model.diffusion_model.out.2.weight": try Tensor.zeros([1])], key: "model.diffusion_model.out.2.weight",
                           "not a LoRA key of a known layout")
        try assertRejected([:], key: nil, "holds no tensors")
        let garbage = (folder as NSString).appendingPathComponent("garbage.safetensors")
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try pipeline.loadLoRA(garbage)) { XCTAssert("\($0)".hasPrefix(garbage + ":"), "\($0)") }
        let missing = (folder as NSString).appendingPathComponent("missing.safetensors")
        XCTAssertThrowsError(try pipeline.loadLoRA(missing)) { XCTAssert("\($0)".hasPrefix(missing + ":"), "\($0)") }
    }

    func testAdaptersNeedTheirModelAndAFreeLayer() throws {
        let unetOnly = LoRAModels(unet: pipeline.unet, textEncoder: nil)
        XCTAssertThrowsError(try LoRAWeights.read(LoRATestSupport.kohyaFixture, models: unetOnly)) {
            XCTAssertEqual("\($0)", "\(LoRATestSupport.kohyaFixture): key 'lora_te_text_model_encoder_layers_0_self_attn_k_proj"
                + ".lora_down.weight': adapts the text encoder, which was not given")
        }
        try pipeline.loadLoRA(LoRATestSupport.kohyaFixture)
        let count = pipeline.unet.loraAdapters().count
        XCTAssertThrowsError(try pipeline.loadLoRA(LoRATestSupport.diffusersFixture)) {
            XCTAssert("\($0)".contains("already carries a LoRA adapter"), "\($0)")
            XCTAssert("\($0)".hasPrefix(LoRATestSupport.diffusersFixture + ": key 'unet."), "\($0)")
        }
        XCTAssertEqual(pipeline.unet.loraAdapters().count, count)
        pipeline.removeLoRA()
        XCTAssertThrowsError(try pipeline.loadLoRA(LoRATestSupport.kohyaFixture, scale: .nan)) {
            XCTAssert("\($0)".contains("finite"), "\($0)")
        }
    }

    func testWritingNothingOrToAMissingFolder() throws {
        let empty = (folder as NSString).appendingPathComponent("empty.safetensors")
        XCTAssertThrowsError(try pipeline.saveLoRA(to: empty, format: .kohya)) {
            XCTAssertEqual("\($0)", "\(empty): no adapters to write")
        }
        try pipeline.loadLoRA(LoRATestSupport.kohyaFixture)
        let nowhere = (folder as NSString).appendingPathComponent("no/such/folder/x.safetensors")
        XCTAssertThrowsError(try pipeline.saveLoRA(to: nowhere, format: .diffusers)) {
            XCTAssert("\($0)".hasPrefix(nowhere + ":"), "\($0)")
        }
        XCTAssertThrowsError(try pipeline.saveLoRA(to: empty, format: .kohya, dtype: .int32)) {
            XCTAssert("\($0)".contains("not a floating-point type"), "\($0)")
        }
    }
}
