import CLIP
import NN
import Torch
import ParityTesting
import XCTest

/// Parity with transformers 5.24's CLIPVisionModelWithProjection on a tiny random config (image 32, patch 8).
final class CLIPVisionModelTests: XCTestCase {
    func load() throws -> (CLIPVisionModelWithProjection, [String: Tensor]) {
        let f = try referenceFixtures.load("vision")
        let model = try CLIPVisionModelWithProjection(
            CLIPVisionConfig.load(contentsOf: referenceFixtures.url("vision.json")), factory: .uninitialized)
        try model.load(fixtureWeights(f), source: "vision")
        return (model, f)
    }

    func testOutputsMatchTransformers() throws {
        let (model, f) = try load()
        let names = Set(model.namedParameters().map(\.name))
        for name in ["vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                     "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                     "vision_model.post_layernorm.bias", "visual_projection.weight"] {
            XCTAssert(names.contains(name), name)
        }
        XCTAssertNil(model.stateDict()["vision_model.embeddings.patch_embedding.bias"])
        let (output, embeds) = try Tensor.withNoGrad { try model(f.tensor("pixel_values")) }
        try assertParity(output.lastHiddenState, f.tensor("last_hidden_state"), forwardBudget, "last_hidden_state", in: referenceFixtures)
        XCTAssertEqual(output.hiddenStates.count, 3)
        for (i, state) in output.hiddenStates.enumerated() {
            try assertParity(state, f.tensor("hidden_states.\(i)"), forwardBudget, "hidden_states.\(i)", in: referenceFixtures)
        }
        try assertParity(output.pooled, f.tensor("pooled"), forwardBudget, "pooled", in: referenceFixtures)
        try assertParity(embeds, f.tensor("image_embeds"), forwardBudget, "image_embeds", in: referenceFixtures)
    }

    func testWrongImageSizeIsAnError() throws {
        let (model, _) = try load()
        XCTAssertThrowsError(try model(Tensor.zeros([1, 3, 28, 32]))) { error in
            XCTAssert("\(error)".contains("[1, 3, 28, 32]"), "\(error)")
        }
    }

    /// openai/clip-vit-large-patch14's vision tower: 303,179,776 parameters, 303,966,208 with
    /// visual_projection (transformers 5.24 on the meta device, Fixtures/measurements.json).
    func testViTL14ParameterCount() throws {
        let model = try CLIPVisionModelWithProjection(.vitL14, factory: .uninitialized)
        XCTAssertEqual(model.visionModel.parameterCount, 303_179_776)
        XCTAssertEqual(model.parameterCount, 303_966_208)
    }
}
