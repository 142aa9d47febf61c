import Foundation
import SafeTensors
import Torch
import ParityTesting
import XCTest
@testable import StableDiffusion

/// Reading diffusers pipeline folders written by diffusers' own save_pretrained (Fixtures/ckpt_folder), and
/// writing them back.
final class DiffusersFolderTests: XCTestCase {
    static let folderPath = referenceFixtures.path("ckpt_folder")

    /// The converted tiny weights the folder was written from.
    static func expected(_ prefix: String) throws -> [String: Tensor] {
        try referenceFixtures.load("ckpt_diffusers_tiny").stripping(prefix: prefix)
    }

    func testModelIndex() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        XCTAssertEqual(folder.modelIndex.className, "StableDiffusionPipeline")
        XCTAssertEqual(folder.modelIndex.diffusersVersion, "0.42.1")
        XCTAssertEqual(folder.modelIndex.presentComponents, ["scheduler", "text_encoder", "tokenizer", "unet", "vae"])
        XCTAssertEqual(folder.modelIndex.components["unet"], ModelIndex.Entry(library: "diffusers", className: "UNet2DConditionModel"))
        XCTAssertEqual(folder.modelIndex.components["safety_checker"], ModelIndex.Entry(library: nil, className: nil))
        XCTAssertEqual(folder.modelIndex.options["requires_safety_checker"], .bool(false))
    }

    func testDefaultWeightsAndFP16Variant() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        let unet = try folder.component(.unet)
        XCTAssertEqual(try unet.weightsFiles(), .single(Self.folderPath + "/unet/diffusion_pytorch_model.safetensors"))
        let expected = try Self.expected("unet.")
        // The default file is float32 (diffusers' save of the float16 fixture values).
        try assertIdentical(try folder.loadWeights(.unet), try expected.mapValues { try $0.to(.float32) }, "unet fp32")
        XCTAssertEqual(try unet.weightsFiles(variant: "fp16"),
                       .single(Self.folderPath + "/unet/diffusion_pytorch_model.fp16.safetensors"))
        try assertIdentical(try folder.loadWeights(.unet, variant: "fp16"), expected, "unet fp16")
        // Cast on load.
        try assertIdentical(try folder.loadWeights(.unet, variant: "fp16", dtype: .float32),
                            try expected.mapValues { try $0.to(.float32) }, "unet fp16 -> fp32")
        let config = try JSONSerialization.jsonObject(with: unet.configData()) as! [String: Any]
        XCTAssertEqual(config["block_out_channels"] as? [Int], [8, 16])
        XCTAssertEqual(unet.configPath, Self.folderPath + "/unet/config.json")
    }

    func testOnlyVariantIsUsed() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        let text = try folder.component(.textEncoder)
        XCTAssertEqual(try text.weightsFiles(), .single(Self.folderPath + "/text_encoder/model.fp16.safetensors"))
        try assertIdentical(try folder.loadWeights(.textEncoder), try Self.expected("text_encoder."), "text_encoder")
        assertThrows(.missingFile(Self.folderPath + "/text_encoder/model.bf16.safetensors")) {
            try text.weightsFiles(variant: "bf16")
        }
    }

    func testShardsAreMerged() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        let vae = try folder.component(.vae)
        XCTAssertEqual(try vae.weightsFiles(), .sharded(
            index: Self.folderPath + "/vae/diffusion_pytorch_model.safetensors.index.json",
            shards: [Self.folderPath + "/vae/diffusion_pytorch_model-00001-of-00002.safetensors",
                     Self.folderPath + "/vae/diffusion_pytorch_model-00002-of-00002.safetensors"]))
        try assertIdentical(try folder.loadWeights(.vae), try Self.expected("vae."), "vae")
    }

    func testSchedulerAndTokenizerFiles() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        let scheduler = try folder.component("scheduler")
        XCTAssertEqual(scheduler.configFileName, "scheduler_config.json")
        let config = try JSONSerialization.jsonObject(with: scheduler.configData()) as! [String: Any]
        XCTAssertEqual(config["_class_name"] as? String, "DDIMScheduler")
        let tokenizer = try folder.component("tokenizer")
        XCTAssertEqual(tokenizer.configFileName, "tokenizer_config.json")
        XCTAssertEqual(try tokenizer.filePath("vocab.json"), Self.folderPath + "/tokenizer/vocab.json")
        XCTAssertNoThrow(try tokenizer.filePath("merges.txt"))
        assertThrows(.missingFile(Self.folderPath + "/tokenizer/tokenizer.json")) { try tokenizer.filePath("tokenizer.json") }
    }

    // MARK: errors

    func testMissingFolderAndModelIndex() throws {
        assertThrows(.missingFolder("/nonexistent/pipeline")) { try DiffusersFolder(path: "/nonexistent/pipeline") }
        let empty = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        assertThrows(.missingFile(empty + "/model_index.json")) { try DiffusersFolder(path: empty) }
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: empty + "/model_index.json"))
        assertThrows(.invalidJSON(empty + "/model_index.json")) { try DiffusersFolder(path: empty) }
    }

    func testMissingComponent() throws {
        let folder = try DiffusersFolder(path: Self.folderPath)
        assertThrows(.missingComponent("safety_checker", "model_index.json")) { try folder.component("safety_checker") }
        assertThrows(.missingComponent("controlnet", "unet")) { try folder.component("controlnet") }

        // Listed, but its folder is gone.
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try DiffusersFolderWriter(path: root).writeModelIndex(.stableDiffusion())
        let partial = try DiffusersFolder(path: root)
        assertThrows(.missingFolder(root + "/unet")) { try partial.component(.unet) }
    }

    func testPickleOnlyWeights() throws {
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try DiffusersFolderWriter(path: root)
        try writer.writeFile(Data("{}".utf8), component: "unet", name: "config.json")
        try writer.writeFile(Data([0x80, 0x02]), component: "unet", name: "diffusion_pytorch_model.bin")
        try writer.writeModelIndex(.stableDiffusion())
        let folder = try DiffusersFolder(path: root)
        assertThrows(.pickleWeights(root + "/unet/diffusion_pytorch_model.bin", "safetensors")) {
            try folder.loadWeights(.unet)
        }
        // A pickle of another variant, beside safetensors, is not what was asked for: the missing file is named.
        try writer.writeModel(["w": try Tensor.ones([1])], component: .textEncoder)
        try writer.writeFile(Data([0x80]), component: "text_encoder", name: "pytorch_model.fp16.bin")
        XCTAssertNoThrow(try folder.loadWeights(.textEncoder))
        assertThrows(.pickleWeights(root + "/text_encoder/pytorch_model.fp16.bin")) { try folder.loadWeights(.textEncoder, variant: "fp16") }
        assertThrows(.missingFile(root + "/text_encoder/model.bf16.safetensors")) { try folder.loadWeights(.textEncoder, variant: "bf16") }
        // Nothing at all: the expected file is named.
        try FileManager.default.createDirectory(atPath: root + "/vae", withIntermediateDirectories: true)
        assertThrows(.missingFile(root + "/vae/diffusion_pytorch_model.safetensors")) { try folder.loadWeights(.vae) }
    }

    func testAmbiguousVariants() throws {
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try DiffusersFolderWriter(path: root)
        let weights = ["w": try Tensor.ones([2])]
        try writer.writeModel(weights, component: .vae, variant: "fp16")
        try writer.writeModel(weights, component: .vae, variant: "bf16")
        try writer.writeModelIndex(.stableDiffusion())
        let folder = try DiffusersFolder(path: root)
        assertThrows(.ambiguousVariants("bf16, fp16")) { try folder.loadWeights(.vae) }
        XCTAssertEqual(try folder.loadWeights(.vae, variant: "bf16").keys.sorted(), ["w"])
    }

    func testShardIndexErrors() throws {
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try DiffusersFolderWriter(path: root)
        try writer.writeModelIndex(.stableDiffusion())
        try FileManager.default.createDirectory(atPath: root + "/vae", withIntermediateDirectories: true)
        try SafeTensors.save(["a": try Tensor.ones([2]), "b": try Tensor.zeros([3])], to: root + "/vae/first.safetensors")
        let index = root + "/vae/diffusion_pytorch_model.safetensors.index.json"
        func writeIndex(_ map: [String: String]) throws {
            let data = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 20], "weight_map": map])
            try writer.writeFile(data, component: "vae", name: "diffusion_pytorch_model.safetensors.index.json")
        }
        let folder = try DiffusersFolder(path: root)

        try writeIndex(["a": "first.safetensors", "b": "first.safetensors"])
        XCTAssertEqual(try folder.loadWeights(.vae).keys.sorted(), ["a", "b"])

        try writeIndex(["a": "first.safetensors", "b": "first.safetensors", "c": "second.safetensors"])
        assertThrows(.missingFile(root + "/vae/second.safetensors", index)) { try folder.loadWeights(.vae) }

        try writeIndex(["a": "first.safetensors"])
        assertThrows(.invalidShardIndex(index, "'b'")) { try folder.loadWeights(.vae) }

        try writeIndex(["a": "first.safetensors", "b": "first.safetensors", "z": "first.safetensors"])
        assertThrows(.invalidShardIndex(index, "'z'")) { try folder.loadWeights(.vae) }

        try writeIndex(["a": "../first.safetensors"])
        assertThrows(.invalidShardIndex(index, "../first.safetensors")) { try folder.loadWeights(.vae) }
    }

    // MARK: writing

    func testWriteComponentAndPipelineRoundTrip() throws {
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = try DiffusersFolder(path: Self.folderPath)
        let weights: [CheckpointComponent: [String: Tensor]] = [
            .unet: try source.loadWeights(.unet), .vae: try source.loadWeights(.vae),
            .textEncoder: try source.loadWeights(.textEncoder),
        ]
        var configs: [String: Data] = [:]
        for name in ["unet", "vae", "text_encoder", "scheduler"] { configs[name] = try source.component(name).configData() }
        let tokenizer = try source.component("tokenizer")
        let files = ["tokenizer": try Dictionary(uniqueKeysWithValues: ["vocab.json", "merges.txt", "tokenizer_config.json"].map {
            ($0, try Data(contentsOf: URL(fileURLWithPath: tokenizer.filePath($0))))
        })]
        try DiffusersFolderWriter(path: root + "/out").writePipeline(
            modelIndex: source.modelIndex, weights: weights, configs: configs, files: files)

        let written = try DiffusersFolder(path: root + "/out")
        XCTAssertEqual(written.modelIndex, source.modelIndex)
        for component in CheckpointComponent.allCases {
            try assertIdentical(try written.loadWeights(component), weights[component]!, component.rawValue)
            XCTAssertEqual(try written.component(component).configData(), configs[component.rawValue])
        }
        XCTAssertEqual(try written.component(.unet).weightsFiles(), .single(root + "/out/unet/diffusion_pytorch_model.safetensors"))
        XCTAssertEqual(try written.component(.textEncoder).weightsFiles(), .single(root + "/out/text_encoder/model.safetensors"))
        XCTAssertEqual(try written.component("scheduler").configData(), configs["scheduler"])
        XCTAssertNoThrow(try written.component("tokenizer").filePath("merges.txt"))
        XCTAssertEqual(try SafeTensorsFile(path: root + "/out/vae/diffusion_pytorch_model.safetensors").metadata, ["format": "pt"])
        // No temporary files left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/out/unet").sorted(),
                       ["config.json", "diffusion_pytorch_model.safetensors"])
    }

    /// Single file in, diffusers folder out, read back: the whole path a user's SD 1.5 .safetensors takes.
    func testConvertSingleFileToFolder() throws {
        let root = try referenceFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let converted = try ConversionTests.tiny.convert(fileAt: referenceFixtures.path("ckpt_ldm_tiny.safetensors"))
        try DiffusersFolderWriter(path: root).writePipeline(modelIndex: .stableDiffusion(), weights: converted, variant: "fp16")
        let folder = try DiffusersFolder(path: root)
        XCTAssertEqual(try folder.component(.vae).weightsFiles(), .single(root + "/vae/diffusion_pytorch_model.fp16.safetensors"))
        let expected = try referenceFixtures.load("ckpt_diffusers_tiny")
        try assertIdentical(try folder.loadWeights(.unet), expected.stripping(prefix: "unet."), "unet")
        try assertIdentical(try folder.loadWeights(.vae), expected.stripping(prefix: "vae."), "vae")
        try assertIdentical(try folder.loadWeights(.textEncoder), expected.stripping(prefix: "text_encoder."), "text")
    }

    func testModelIndexRoundTrip() throws {
        let index = ModelIndex.stableDiffusion(scheduler: "DDIMScheduler")
        let data = try index.jsonData()
        XCTAssertEqual(try ModelIndex(data: data, path: "x"), index)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"safety_checker\" : [\n    null,\n    null\n  ]"), text)
    }
}
