import CLIP
import NN
import Torch
import ParityTesting
import XCTest

/// Parity with transformers 5.24's CLIPModel (combined checkpoint naming), forward and gradients.
final class CLIPModelTests: XCTestCase {
    func load() throws -> (CLIPModel, [String: Tensor]) {
        let f = try referenceFixtures.load("clip")
        let model = try CLIPModel(CLIPConfig.load(contentsOf: referenceFixtures.url("clip.json")), factory: .uninitialized)
        try model.load(fixtureWeights(f), source: "clip")
        return (model, f)
    }

    func testScoresMatchTransformers() throws {
        let (model, f) = try load()
        XCTAssertEqual(Set(model.stateDict().keys), Set(fixtureWeights(f).keys))
        let out = try Tensor.withNoGrad { try model(ids: f.tensor("input_ids"), pixels: f.tensor("pixel_values")) }
        try assertParity(out.textEmbeds, f.tensor("text_embeds"), forwardBudget, "text_embeds", in: referenceFixtures)
        try assertParity(out.imageEmbeds, f.tensor("image_embeds"), forwardBudget, "image_embeds", in: referenceFixtures)
        try assertParity(out.logitsPerText, f.tensor("logits_per_text"), forwardBudget, "logits_per_text", in: referenceFixtures)
    }

    /// loss = -mean(logits_per_text[i, i]) for i in 0, 1: gradients w.r.t. the pixels and some parameters.
    func testGradientsMatchTransformers() throws {
        let (model, f) = try load()
        try model.setRequiresGrad(true)
        let pixels = try f.tensor("pixel_values").clone().requiringGrad()
        let logits = try model(ids: f.tensor("input_ids"), pixels: pixels).logitsPerText
        let first = try logits.select(dim: 0, index: 0).select(dim: 0, index: 0)
        let second = try logits.select(dim: 0, index: 1).select(dim: 0, index: 1)
        let loss = try -((first + second) / 2)
        try assertParity(loss.reshape([1]), f.tensor("loss"), forwardBudget, "loss", in: referenceFixtures)
        try loss.backward()
        try assertParity(XCTUnwrap(pixels.grad()), f.tensor("grad.pixel_values"), backwardBudget, "grad.pixel_values", in: referenceFixtures)
        let parameters = model.stateDict()
        for key in f.keys.sorted() where key.hasPrefix("grad.") && key != "grad.pixel_values" {
            let name = String(key.dropFirst("grad.".count))
            let grad = try XCTUnwrap(parameters[name]?.grad(), name)
            try assertParity(grad, f.tensor(key), backwardBudget, key, in: referenceFixtures)
        }
    }
}
