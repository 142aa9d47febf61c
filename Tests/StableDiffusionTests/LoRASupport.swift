import Foundation
import NN
import SafeTensors
import StableDiffusion
import Torch
import XCTest

/// Shared pieces of the LoRA tests: the tiny pipeline, the reference LoRA files (tools/reference/lora_fixtures.py),
/// a random LoRA with per-layer ranks and alphas, and adapter comparison.
enum LoRATestSupport {
    static let prompt = "a woman, in a brown jacket, blonde hair"
    static var kohyaFixture: String { referenceFixtures.path("lora_kohya.safetensors") }
    static var diffusersFixture: String { referenceFixtures.path("lora_diffusers.safetensors") }

    static func pipeline() throws -> StableDiffusionPipeline {
        try StableDiffusionPipeline.load(path: referenceFixtures.path("pipe_tiny"))
    }

    /// Adapters on attention projections, a transformer's 1x1 proj_in, a resnet's time_emb_proj and 1x1
    /// conv_shortcut, and text-encoder attention and MLP layers, with B nonzero; one UNet layer has another rank
    /// and alpha, and one text-encoder layer another alpha, so that the per-layer paths of both formats are used.
    /// With `uniformAlpha` every layer of a model shares its alpha (what diffusers reads correctly from kohya files).
    static func injectRandomLoRA(into pipeline: StableDiffusionPipeline, seed: UInt64 = 1, uniformAlpha: Bool = false) throws {
        let factory = ParameterFactory(generator: try Generator(seed: seed))
        try pipeline.unet.injectLoRA(LoRAConfiguration(rank: 4, alpha: 8, targets: [
            "to_q", "to_k", "to_v", "to_out.0", "proj_in", "time_emb_proj", "conv_shortcut"]), factory: factory)
        try pipeline.textEncoder.injectLoRA(LoRAConfiguration(rank: 2, alpha: 0.5, targets: [
            "q_proj", "v_proj", "out_proj", "fc1"]), factory: factory)
        let unetLayers = Dictionary(uniqueKeysWithValues: pipeline.unet.namedModules().map { ($0.name, $0.module) })
        let textLayers = Dictionary(uniqueKeysWithValues: pipeline.textEncoder.namedModules().map { ($0.name, $0.module) })
        try LoRATarget(unetLayers["mid_block.attentions.0.transformer_blocks.0.attn2.to_k"]!)!
            .attachLoRA(rank: 3, alpha: uniformAlpha ? 8 : 5, generator: factory.generator)
        try LoRATarget(textLayers["text_model.encoder.layers.1.mlp.fc1"]!)!
            .attachLoRA(rank: 2, alpha: uniformAlpha ? 0.5 : 3, generator: factory.generator)
        let generator = try Generator(seed: seed + 100)
        try Tensor.withNoGrad {
            for (_, lora) in pipeline.unet.loraAdapters() + pipeline.textEncoder.loraAdapters() {
                try lora.up.copy_(Tensor.randn(lora.up.shape, generator: generator) * 0.2)
            }
        }
    }

    /// The same layers with the same alphas and the same bits in A and B.
    static func assertSameAdapters(_ actual: LoRAWeights, _ expected: LoRAWeights, _ label: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.adapters.map { "\($0.component.rawValue):\($0.module)" },
                       expected.adapters.map { "\($0.component.rawValue):\($0.module)" }, "\(label): layers",
                       file: file, line: line)
        for (a, e) in zip(actual.adapters, expected.adapters) {
            let name = "\(label): \(a.module)"
            XCTAssertEqual(a.alpha, e.alpha, "\(name): alpha", file: file, line: line)
            XCTAssertEqual(a.rank, e.rank, "\(name): rank", file: file, line: line)
            for (x, y, part) in [(a.down, e.down, "A"), (a.up, e.up, "B")] {
                XCTAssertEqual(x.dtype, y.dtype, "\(name): \(part) dtype", file: file, line: line)
                XCTAssertEqual(x.shape, y.shape, "\(name): \(part) shape", file: file, line: line)
                XCTAssert(try x.bytes() == y.bytes(), "\(name): \(part) differs", file: file, line: line)
            }
        }
    }
}
