import Foundation
import SafeTensors
import StableDiffusion
import Torch
import WorldModels
import XCTest

/// `spf world export`: the shipped copy loads and generates, holds float16 weights, the logs and the records,
/// and never replaces a folder that is not an export.
final class WorldExportTests: XCTestCase {
    func testExportIsAFloat16CopyThatLoads() throws {
        let world = try TinyWorld.path()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("spf-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summary = try WorldExport.write(run: world, to: out, command: "test")
        XCTAssertGreaterThan(summary.bytes, 0)
        for file in ["pipeline/unet/diffusion_pytorch_model.safetensors", "clip/model.safetensors", "probe/model.safetensors",
                     "pipeline/text_encoder/model.safetensors", "pipeline/vae/diffusion_pytorch_model.safetensors"] {
            let tensors = try SafeTensors.load(out + "/" + file)
            XCTAssertTrue(tensors.values.allSatisfy { $0.dtype == .float16 }, file)
            let original = try SafeTensors.load(world + "/" + file)
            for (name, tensor) in original {
                let back = try XCTUnwrap(tensors[name]).to(.float32)
                let error = try (back - tensor).abs().flatten(startDim: 0).max(dim: 0).values.item()
                let scale = try tensor.abs().flatten(startDim: 0).max(dim: 0).values.item()
                XCTAssertLessThanOrEqual(error, scale * 1e-3 + 1e-7, "\(file) \(name): float16 rounding only")
            }
        }
        for record in ["plan.json", "manifest.json", "README.md", "export.json", "logs/vae/metrics.jsonl", "logs/unet/metrics.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + record), record)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/stages"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/data"))
        let pipeline = try StableDiffusionPipeline.load(path: out + "/pipeline")
        XCTAssertEqual(pipeline.unet.namedParameters().first?.tensor.dtype, .float32)
        var options = GenerationOptions(prompt: "a woman, a photo", steps: 2, height: 64, width: 64)
        options.guidanceScale = 1
        XCTAssertEqual(try pipeline.generate(options).shape, [1, 3, 64, 64])
        // Re-exporting over an export replaces it; over any other folder it refuses.
        _ = try WorldExport.write(run: world, to: out, command: "again")
        let other = out + "-other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: other) }
        XCTAssertThrowsError(try WorldExport.write(run: world, to: other, command: "x")) { XCTAssertTrue("\($0)".contains("not a world export")) }
    }
}
