import Foundation
import Imaging
import SafeTensors
import StableDiffusion
import Torch
import ParityTesting
import XCTest
@testable import Training

/// What a finished run leaves: a diffusers folder (naive) or LoRA files in both formats (LoRA), each loading
/// back into a pipeline that generates exactly what the trained model generates.
final class ExportTests: TinyRunTestCase {
    let options = GenerationOptions(prompt: "a woman, in a blue t-shirt, with a red hat", seed: 3, steps: 3,
                                    height: 16, width: 16)

    func testNaiveRunWritesALoadableDiffusersFolder() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let out = (try temporaryFolder(self, "runs") as NSString).appendingPathComponent("naive")
        var config = tinyConfig(data: data, out: out, steps: 6)
        config.trainable = .crossAttention
        var session = TrainingSession(config: config)
        var trained: StableDiffusionPipeline?
        session.makeMethod = { models, config in
            trained = models.pipeline
            return try StandardFineTuning(models: models, config: config)
        }
        let result = try session.run()
        let model = result.run.modelPath
        for part in ["model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                     "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
                     "tokenizer/vocab.json", "scheduler/scheduler_config.json"] {
            XCTAssert(FileManager.default.fileExists(atPath: (model as NSString).appendingPathComponent(part)), part)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: model + ".tmp"))
        let loaded = try StableDiffusionPipeline.load(path: model)
        let original = try StableDiffusionPipeline.load(path: tinyModel)
        let ours = try XCTUnwrap(trained)
        // Only cross-attention changed; the rest of the UNet and every other part are the source's.
        var changed = 0
        for (name, tensor) in loaded.unet.namedParameters() {
            XCTAssertEqual(try tensor.bytes(), try ours.unet.stateDict()[name]?.bytes(), name)
            if try tensor.bytes() != original.unet.stateDict()[name]?.bytes() {
                changed += 1
                XCTAssert(name.contains(".attn2."), "\(name) changed but is not cross-attention")
            }
        }
        XCTAssertGreaterThan(changed, 0)
        XCTAssertEqual(try Tensor.withNoGrad { try loaded.generate(options).bytes() },
                       try Tensor.withNoGrad { try ours.generate(options).bytes() })
    }

    func testLoRARunWritesBothFormats() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data)
        let out = (try temporaryFolder(self, "runs") as NSString).appendingPathComponent("lora-run")
        var session = TrainingSession(config: tinyConfig(data: data, out: out, method: .lora, steps: 6))
        var trained: StableDiffusionPipeline?
        session.makeMethod = { models, config in
            trained = models.pipeline
            return try StandardFineTuning(models: models, config: config)
        }
        let result = try session.run()
        let expected = try Tensor.withNoGrad { try XCTUnwrap(trained).generate(options) }
        let folder = LoRAExport.folder(result.run)
        for name in [LoRAExport.diffusersFileName, LoRAExport.kohyaFileName(result.run)] {
            let path = (folder as NSString).appendingPathComponent(name)
            let pipeline = try StableDiffusionPipeline.load(path: tinyModel)
            let weights = try pipeline.loadLoRA(path)
            XCTAssertEqual(weights.adapters.count, 32, name)
            let images = try Tensor.withNoGrad { try pipeline.generate(options) }
            XCTAssertEqual(try images.bytes(), try expected.bytes(), name)
        }
        let kohya = try SafeTensorsFile(path: (folder as NSString).appendingPathComponent(LoRAExport.kohyaFileName(result.run)))
        XCTAssertEqual(kohya.metadata["ss_network_module"], "networks.lora")
        XCTAssertEqual(kohya.metadata["ss_network_dim"], "4")
    }
}

/// Validation grids: original beside current for fixed seeds, every `validation_every` steps and at step 0.
final class ValidationImageTests: TinyRunTestCase {
    func testGridsAreWrittenWithTheOriginalBesideTheCurrentModel() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data, count: 2)
        let out = (try temporaryFolder(self, "runs") as NSString).appendingPathComponent("run")
        var config = tinyConfig(data: data, out: out, steps: 4)
        config.validationEvery = 2
        config.validationPrompts = ["a woman, with a red hat", "a man"]
        config.validationSteps = 2
        _ = try TrainingSession(config: config).run()
        let folder = RunFolder(path: out).validationPath
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(names, ["original-00.png", "original-01.png", "step-00000000.png", "step-00000002.png",
                               "step-00000004.png"])
        let start = try ImageFile.read(path: folder + "/step-00000000.png")
        let end = try ImageFile.read(path: folder + "/step-00000004.png")
        XCTAssertEqual(start.width, 16 * 2 + 3 * 2)
        XCTAssertEqual(start.height, 16 * 2 + 3 * 2)
        // Left column (the original model) is identical at every step; the right column moved.
        func column(_ image: RGBImage, _ c: Int) -> [UInt8] {
            var values: [UInt8] = []
            for y in 0..<image.height {
                let start: Int = (y * image.width + 2 + c * 18) * 3
                values += image.pixels[start..<(start + 48)]
            }
            return values
        }
        XCTAssertEqual(column(start, 0), column(end, 0))
        XCTAssertEqual(column(start, 0), column(start, 1), "at step 0 both columns are the original")
        XCTAssertNotEqual(column(end, 0), column(end, 1), "training changed the current model's images")
    }
}
