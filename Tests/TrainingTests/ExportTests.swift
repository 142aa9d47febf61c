import Foundation
import SafeTensors
import StableDiffusion
import Torch
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
