import CLIP
import Foundation
import NN
import SafeTensors
import StableDiffusion
import Tokenizers
import Torch
import XCTest

/// Loading a pipeline straight from an original single-file checkpoint: the models must hold exactly the
/// tensors diffusers' own conversion produces (tools/reference/checkpoint_fixtures.py), loaded strictly.
final class SingleFilePipelineTests: XCTestCase {
    static let fixtures = referenceFixtures.directory

    /// The tiny layout of ckpt_ldm_tiny.safetensors (see ckpt_tiny_configs.json).
    static var tinyArchitecture: SingleFileArchitecture {
        var architecture = SingleFileArchitecture()
        architecture.unet = UNetCheckpointLayout(modelChannels: 8, channelMult: [1, 2], numResBlocks: 1,
                                                 attentionResolutions: [1])
        architecture.unetSampleSize = 8
        architecture.crossAttentionDim = 16
        architecture.attentionHeads = 2
        architecture.normGroups = 4
        architecture.vae = VAECheckpointLayout(ch: 8, chMult: [1, 2], numResBlocks: 1)
        architecture.textEncoder = CLIPTextConfig(vocabSize: 32, hiddenSize: 16, intermediateSize: 32,
                                                  numHiddenLayers: 2, numAttentionHeads: 2, maxPositionEmbeddings: 8,
                                                  bosTokenId: 30, eosTokenId: 31)
        return architecture
    }

    func testModelsHoldDiffusersConvertedTensors() throws {
        let tokenizer = try CLIPTokenizer(directory: Self.fixtures.appendingPathComponent("pipe_tiny/tokenizer").path)
        let pipeline = try StableDiffusionPipeline.load(
            singleFile: Self.fixtures.appendingPathComponent("ckpt_ldm_tiny.safetensors").path, tokenizer: tokenizer,
            architecture: Self.tinyArchitecture)
        let reference = try SafeTensors.load(Self.fixtures.appendingPathComponent("ckpt_diffusers_tiny.safetensors").path)
        let parts: [(String, any Module)] = [("unet.", pipeline.unet), ("vae.", pipeline.vae),
                                             ("text_encoder.", pipeline.textEncoder)]
        var compared = 0
        for (prefix, module) in parts {
            for (name, tensor) in module.namedParameters() {
                let key = reference[prefix + name] != nil ? prefix + name
                    : prefix + name.replacingOccurrences(of: "text_model.", with: "")
                let expected = try XCTUnwrap(reference[key], "no reference tensor for \(prefix + name)")
                XCTAssertEqual(try tensor.to(expected.dtype).bytes(), try expected.bytes(), prefix + name)
                compared += 1
            }
        }
        // unet_ema.* is the EMA copy, converted separately (extractEMA).
        XCTAssertEqual(compared, reference.keys.filter { !$0.hasPrefix("unet_ema.") }.count,
                       "every converted tensor lands in a parameter")
    }

    func testWrongArchitectureNamesTheKeyAndShapes() throws {
        let tokenizer = try CLIPTokenizer(directory: Self.fixtures.appendingPathComponent("pipe_tiny/tokenizer").path)
        var architecture = Self.tinyArchitecture
        architecture.crossAttentionDim = 24
        let path = Self.fixtures.appendingPathComponent("ckpt_ldm_tiny.safetensors").path
        XCTAssertThrowsError(try StableDiffusionPipeline.load(singleFile: path, tokenizer: tokenizer,
                                                              architecture: architecture)) {
            let text = "\($0)"
            XCTAssert(text.hasPrefix(path) && text.contains("attn2.to_k.weight") && text.contains("shape mismatch"), text)
        }
    }
}
