import CLIP
import NN
import Torch
import ParityTesting
import XCTest

/// Parity with transformers 5.24's CLIPTextModel / CLIPTextModelWithProjection (sdpa attention) on tiny
/// random configs with the real parameter names.
final class CLIPTextModelTests: XCTestCase {
    func loadWithProjection(_ name: String) throws -> (CLIPTextModelWithProjection, [String: Tensor]) {
        let fixture = try referenceFixtures.load(name)
        let config = try CLIPTextConfig.load(contentsOf: referenceFixtures.url(name + ".json"))
        let model = try CLIPTextModelWithProjection(config, factory: .uninitialized)
        try model.load(fixtureWeights(fixture), source: name)
        return (model, fixture)
    }

    func checkOutputs(_ name: String, mask: Bool) throws {
        let (model, f) = try loadWithProjection(name)
        let (output, embeds) = try Tensor.withNoGrad {
            try model(f.tensor("input_ids"), attentionMask: mask ? f.tensor("attention_mask") : nil)
        }
        try assertParity(output.lastHiddenState, f.tensor("last_hidden_state"), forwardBudget, "last_hidden_state", in: referenceFixtures)
        XCTAssertEqual(output.hiddenStates.count, model.config.numHiddenLayers + 1)
        for (i, state) in output.hiddenStates.enumerated() {
            try assertParity(state, f.tensor("hidden_states.\(i)"), forwardBudget, "hidden_states.\(i)", in: referenceFixtures)
        }
        try assertParity(output.pooled, f.tensor("pooled"), forwardBudget, "pooled", in: referenceFixtures)
        try assertParity(embeds, f.tensor("text_embeds"), forwardBudget, "text_embeds", in: referenceFixtures)
    }

    /// SD 1.5's case: eos_token_id 2 (pooled at the largest id), 77 tokens padded with the end token, no mask.
    func testLegacyEosMatchesTransformers() throws { try checkOutputs("text_legacy", mask: false) }

    /// eos_token_id 500 (pooled at the first eos although larger ids occur), gelu, right padding with a mask.
    func testFirstEosWithAttentionMaskMatchesTransformers() throws { try checkOutputs("text_eos", mask: true) }

    /// Left padding: padded queries see no key; like transformers' sdpa path they get a zero attention output
    /// (its eager path would average uniformly there). Real tokens and the pooled output are unaffected.
    func testLeftPaddingMatchesTransformersSdpa() throws {
        let (model, f) = try loadWithProjection("text_eos")
        let output = try Tensor.withNoGrad {
            try model.textModel(f.tensor("left.input_ids"), attentionMask: f.tensor("left.attention_mask"))
        }
        XCTAssertFalse(try output.lastHiddenState.isNaN().any().item() != 0)
        try assertParity(output.lastHiddenState, f.tensor("left.last_hidden_state"), forwardBudget, "left.last_hidden_state", in: referenceFixtures)
        try assertParity(output.pooled, f.tensor("left.pooled"), forwardBudget, "left.pooled", in: referenceFixtures)
    }

    /// The plain CLIPTextModel takes SD 1.5's text_encoder naming (text_model.*, no projection).
    func testTextModelLoadsTextEncoderNames() throws {
        let f = try referenceFixtures.load("text_legacy")
        let config = try CLIPTextConfig.load(contentsOf: referenceFixtures.url("text_legacy.json"))
        let model = try CLIPTextModel(config, factory: .uninitialized)
        let names = Set(model.namedParameters().map(\.name))
        XCTAssert(names.contains("text_model.embeddings.token_embedding.weight"))
        XCTAssert(names.contains("text_model.embeddings.position_embedding.weight"))
        XCTAssert(names.contains("text_model.encoder.layers.0.self_attn.q_proj.weight"))
        XCTAssert(names.contains("text_model.encoder.layers.2.layer_norm1.bias"))
        XCTAssert(names.contains("text_model.encoder.layers.1.mlp.fc1.weight"))
        XCTAssert(names.contains("text_model.final_layer_norm.weight"))
        try model.load(fixtureWeights(f).filter { $0.key.hasPrefix("text_model.") }, source: "text_legacy")
        let output = try Tensor.withNoGrad { try model(f.tensor("input_ids")) }
        try assertParity(output.lastHiddenState, f.tensor("last_hidden_state"), forwardBudget, "output.lastHiddenState", in: referenceFixtures)
        try assertParity(output.pooled, f.tensor("pooled"), forwardBudget, "output.pooled", in: referenceFixtures)
    }

    /// A mask of all ones (boolean mask path) equals the is_causal path, and 1-D ids act as a batch of one.
    func testAllOnesMaskEqualsCausalPath() throws {
        let (model, f) = try loadWithProjection("text_legacy")
        let ids = try f.tensor("input_ids")
        let (a, b, c) = try Tensor.withNoGrad {
            (try model.textModel(ids).lastHiddenState,
             try model.textModel(ids, attentionMask: Tensor.ones(ids.shape, dtype: .int64)).lastHiddenState,
             try model.textModel(ids.select(dim: 0, index: 1)).lastHiddenState)
        }
        // One process, two attention paths (boolean mask vs is_causal) and batch sizes: not bit-exact by design.
        try assertParity(b, a, forwardBudget.notBitExact, "all-ones mask vs causal", in: referenceFixtures)
        try assertParity(c, a.narrow(dim: 0, start: 1, length: 1), forwardBudget.notBitExact, "1-D ids vs batch",
                         in: referenceFixtures)
    }

    /// One encoder layer alone, with the causal mask and without a mask.
    func testEncoderLayerMatchesTransformers() throws {
        let (model, f) = try loadWithProjection("text_legacy")
        let layer = model.textModel.encoder.layers[0]
        let x = try f.tensor("layer.input")
        try Tensor.withNoGrad {
            try assertParity(layer(x, isCausal: true), f.tensor("layer.output_causal"), forwardBudget, "causal", in: referenceFixtures)
            try assertParity(layer(x), f.tensor("layer.output_full"), forwardBudget, "full", in: referenceFixtures)
        }
    }

    /// Gradients of sum(text_embeds^2) + mean(hidden_states[-2]) w.r.t. several parameters.
    func testGradientsMatchTransformers() throws {
        let (model, f) = try loadWithProjection("text_legacy")
        try model.setRequiresGrad(true)
        let (output, embeds) = try model(f.tensor("input_ids"))
        let loss = try embeds.pow(2).sum() + output.hiddenStates[output.hiddenStates.count - 2].mean()
        try assertParity(loss.reshape([1]), f.tensor("loss"), forwardBudget, "loss", in: referenceFixtures)
        try loss.backward()
        let parameters = model.stateDict()
        for key in f.keys.sorted() where key.hasPrefix("grad.") {
            let name = String(key.dropFirst("grad.".count))
            let grad = try XCTUnwrap(parameters[name]?.grad(), name)
            try assertParity(grad, f.tensor(key), backwardBudget, key, in: referenceFixtures)
        }
    }

    /// diffusers' clip skip: the hidden state before the last layer(s), through final_layer_norm.
    func testClipSkipAppliesFinalLayerNorm() throws {
        let (model, f) = try loadWithProjection("text_legacy")
        try Tensor.withNoGrad {
            let output = try model.textModel(f.tensor("input_ids"))
            try assertParity(model.textModel.clipSkipEmbeddings(output, clipSkip: 0), f.tensor("last_hidden_state"), forwardBudget, "model.textModel.clipSkipEmbeddings(output, clipSkip: 0)", in: referenceFixtures)
            let expected = try f.tensor("hidden_states.2").layerNorm(
                normalizedShape: [32], weight: model.textModel.finalLayerNorm.weight,
                bias: model.textModel.finalLayerNorm.bias)
            try assertParity(model.textModel.clipSkipEmbeddings(output, clipSkip: 1), expected, forwardBudget, "model.textModel.clipSkipEmbeddings(output, clipSkip: 1)", in: referenceFixtures)
            XCTAssertThrowsError(try model.textModel.clipSkipEmbeddings(output, clipSkip: 3))
        }
    }

    /// PEFT-style adapters on the attention projections leave the output unchanged until trained.
    func testLoRAInjectionOnAttentionProjections() throws {
        let f = try referenceFixtures.load("text_legacy")
        let model = try CLIPTextModel(CLIPTextConfig.load(contentsOf: referenceFixtures.url("text_legacy.json")),
                                      factory: .uninitialized)
        try model.load(fixtureWeights(f).filter { $0.key.hasPrefix("text_model.") }, source: "text_legacy")
        let injected = try model.injectLoRA(LoRAConfiguration(rank: 2, alpha: 2, targets: ["q_proj", "k_proj", "v_proj", "out_proj"]),
                                            factory: ParameterFactory(generator: Generator(seed: 3)))
        XCTAssertEqual(injected.count, 12)
        XCTAssert(injected.contains("text_model.encoder.layers.0.self_attn.q_proj"), "\(injected)")
        let output = try Tensor.withNoGrad { try model(f.tensor("input_ids")) }
        try assertParity(output.lastHiddenState, f.tensor("last_hidden_state"), forwardBudget, "output.lastHiddenState", in: referenceFixtures)
    }

    func testTooLongInputIsAnError() throws {
        let (model, _) = try loadWithProjection("text_legacy")
        let ids = try Tensor.zeros([1, 78], dtype: .int64)
        XCTAssertThrowsError(try model(ids)) { error in
            XCTAssert("\(error)".contains("78") && "\(error)".contains("max_position_embeddings"), "\(error)")
        }
        XCTAssertThrowsError(try model(Tensor.zeros([1, 5]))) { error in
            XCTAssert("\(error)".contains("integer"), "\(error)")
        }
        XCTAssertThrowsError(try model(Tensor.zeros([1, 5], dtype: .int64), attentionMask: Tensor.ones([1, 4]))) {
            XCTAssert("\($0)".contains("attention mask"), "\($0)")
        }
    }

    func testWrongCheckpointKeysAndShapesAreNamed() throws {
        let f = try referenceFixtures.load("text_legacy")
        let config = try CLIPTextConfig.load(contentsOf: referenceFixtures.url("text_legacy.json"))
        let model = try CLIPTextModelWithProjection(config, factory: .uninitialized)
        var weights = fixtureWeights(f)
        let key = "text_model.encoder.layers.1.self_attn.k_proj.weight"
        weights[key] = try Tensor.zeros([32, 31])
        XCTAssertThrowsError(try model.load(weights, source: "bad.safetensors")) { error in
            XCTAssert("\(error)".contains(key) && "\(error)".contains("shape"), "\(error)")
        }
        weights = fixtureWeights(f)
        weights["text_model.final_layer_norm.weight"] = nil
        XCTAssertThrowsError(try model.load(weights, source: "bad.safetensors")) { error in
            XCTAssert("\(error)".contains("text_model.final_layer_norm.weight"), "\(error)")
        }
    }

    /// SD 1.5's text encoder (ViT-L/14's text tower): 123,060,480 parameters (transformers, meta device).
    func testStableDiffusion15TextEncoderParameterCount() throws {
        let model = try CLIPTextModel(.stableDiffusion15, factory: .uninitialized)
        XCTAssertEqual(model.parameterCount, 123_060_480)
        XCTAssertEqual(model.namedParameters().count, 196)
    }
}
