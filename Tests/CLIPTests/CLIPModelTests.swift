import CLIP
import NN
import Torch
import XCTest

/// Parity with transformers 5.24's CLIPModel (combined checkpoint naming), forward and gradients.
final class CLIPModelTests: XCTestCase {
    func load() throws -> (CLIPModel, [String: Tensor]) {
        let f = try Fixtures.load("clip")
        let model = try CLIPModel(CLIPConfig.load(contentsOf: Fixtures.url("clip.json")), factory: .uninitialized)
        try model.load(Fixtures.weights(f), source: "clip")
        return (model, f)
    }

    func testScoresMatchTransformers() throws {
        let (model, f) = try load()
        XCTAssertEqual(Set(model.stateDict().keys), Set(Fixtures.weights(f).keys))
        let out = try Tensor.withNoGrad { try model(ids: f.tensor("input_ids"), pixels: f.tensor("pixel_values")) }
        try assertClose(out.textEmbeds, f.tensor("text_embeds"), "text_embeds")
        try assertClose(out.imageEmbeds, f.tensor("image_embeds"), "image_embeds")
        try assertClose(out.logitsPerText, f.tensor("logits_per_text"), "logits_per_text")
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
        try assertClose(loss.reshape([1]), f.tensor("loss"), "loss")
        try loss.backward()
        try assertClose(XCTUnwrap(pixels.grad()), f.tensor("grad.pixel_values"), "grad.pixel_values")
        let parameters = model.stateDict()
        for key in f.keys.sorted() where key.hasPrefix("grad.") && key != "grad.pixel_values" {
            let name = String(key.dropFirst("grad.".count))
            let grad = try XCTUnwrap(parameters[name]?.grad(), name)
            try assertClose(grad, f.tensor(key), key)
        }
    }
}
