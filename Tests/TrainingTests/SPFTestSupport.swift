import Diffusion
import Foundation
import NN
import ParityTesting
import SafeTensors
import Torch
import XCTest
@testable import Training

/// tools/reference/spf_fixtures.py's inputs: fixed latents, noise, timesteps, text embeddings, two captions
/// (add and replace mode) and attn2 weights moved as if by stage 1.
struct SPFFixture {
    let tensors: [String: Tensor]
    let captions: [[String: Any]]
    let texts: [String]

    static func load() throws -> SPFFixture {
        let path = referenceFixtures.path("spf_step.safetensors")
        let metadata = try SafeTensorsFile(path: path).metadata
        let captions = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(metadata["captions"]).utf8)) as? [[String: Any]])
        let texts = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(metadata["texts"]).utf8)) as? [String])
        return SPFFixture(tensors: try SafeTensors.load(path), captions: captions, texts: texts)
    }

    /// The settings of a fixture case.
    static func settings(_ name: String) -> SPFSettings {
        var s = SPFSettings()
        s.lambdaEnh = 0
        s.sfcmLayers = ["1/1", "1/2"]
        s.blurSigma = 1
        switch name {
        case "nosfcm": s.sfcm = false; s.blurSigma = 0
        case "squared":
            s.nd = .squared; s.phraseWeights = .uniform; s.blurSigma = 0; s.resize = .nearest
            s.sfcmLayers = ["1/2"]; s.padGroup = false
        default: break
        }
        return s
    }

    /// The method on the tiny model (cross-attention trained, or with `lora` the [lora] defaults' adapters) with
    /// the fixture's stage-1 values in place, the fixture's batch and its draw.
    func setUp(settings: SPFSettings, lora: Bool = false, gradientCheckpointing: Bool = false,
               mixedPrecision: MixedPrecision = .no) throws -> (SPFMethod, TrainingBatch, DiffusionObjective.Draw) {
        var config = TrainingConfig()
        config.model = tinyModel
        config.method = .spf
        config.trainable = .crossAttention
        config.steps = 2
        config.spf = settings
        config.spf.lora = lora
        config.gradientCheckpointing = gradientCheckpointing
        config.mixedPrecision = mixedPrecision
        try config.validateSPF()
        let models = try TrainingModels.load(config)
        let method = try SPFMethod(models: models, config: config)
        let prefix = lora ? "lora_moved." : "moved."
        var moved = 0
        try Tensor.withNoGrad {
            for (parameterName, tensor) in method.trainableParameters {
                try tensor.copy_(XCTUnwrap(tensors[prefix + parameterName], parameterName))
                moved += 1
            }
        }
        XCTAssertEqual(moved, tensors.keys.filter { $0.hasPrefix(prefix) }.count, "the trained set is the fixture's")
        for (_, tensor) in method.trainableParameters { try tensor.setRequiresGrad(true) }
        let records = try captions.enumerated().map { i, c -> CaptionRecord in
            let caption = try PortraitCaption(base: c["base"] as! String, target: c["target"] as! String,
                                              mode: PortraitCaption.Mode(rawValue: c["mode"] as! String)!,
                                              replaces: c["replaces"] as? String)
            return CaptionRecord(line: i + 1, fileName: "img\(i).png", text: caption.fullText, portrait: caption)
        }
        var embeddings: [String: Tensor] = [:]
        for (i, text) in texts.enumerated() { embeddings[text] = tensors["text.\(i)"] }
        for record in records {
            for text in method.texts(for: record) { XCTAssertNotNil(embeddings[text], "the engine caches \"\(text)\"") }
        }
        let latents = try XCTUnwrap(tensors["latents"])
        let batch = TrainingBatch(records: records, latentParameters: try Tensor.cat([latents, latents.zerosLike()], dim: 1),
                                  embeddings: embeddings, step: 0)
        let draw = try method.objective.draw(latents: latents, noise: XCTUnwrap(tensors["noise"]),
                                             timesteps: XCTUnwrap(tensors["timesteps"]))
        return (method, batch, draw)
    }
}
