import Foundation
import SafeTensors
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// Reference fixtures written by tools/reference/unet_fixtures.py and vae_fixtures.py, and the machine that
/// wrote them; tests never run Python.
let referenceFixtures = FixtureSet()

/// Budgets of the tiny fixture models on another CPU (Tests/ParityTesting/Budget.swift). The longest
/// reduction is a 3x3 convolution over the 64 channels of an up block's concatenated skip (576 terms).
enum UNetBudget {
    /// conv_in, time embedding, two down and two up levels of resnets (2 convolutions, 2 group norms) and
    /// transformers (norms, 2 attentions, feed-forward), the mid block, conv_out: about 30 reductions deep.
    static let forward = Budget.model(length: 576, depth: 30)
    static let backward = Budget.model(length: 576, depth: 60)
}

enum VAEBudget {
    /// Encoder and decoder of two levels each (resnets, mid attention, norms): about 24 reductions per pass.
    static let forward = Budget.model(length: 576, depth: 24)
    static let backward = Budget.model(length: 576, depth: 48)
}

enum BlockBudget {
    /// One block: a resnet or transformer block is at most about 6 reductions deep.
    static let forward = Budget.model(length: 576, depth: 6)
    static let backward = Budget.model(length: 576, depth: 12)
}

extension FixtureSet {
    /// A fixture model ("unet_tiny" or "unet_linear"): its config.json and its weights (stored as float16,
    /// loaded into float32 parameters: the reference ran on exactly these values).
    func model(_ name: String) throws -> UNet2DConditionModel {
        let config = try UNet2DConditionConfig.load(path(name + "_config.json"))
        let model = try UNet2DConditionModel(config, factory: .uninitialized)
        try model.load(load(name + "_weights"), source: name + "_weights.safetensors")
        return model
    }

    /// The token groups and layers of the capture fixture.
    func captureSpec() throws -> (groups: [[Int]], layers: [String]) {
        struct Spec: Decodable { let groups: [[Int]]; let layers: [String] }
        let spec = try JSONDecoder().decode(Spec.self, from: Data(contentsOf: url("unet_tiny_capture.json")))
        return (spec.groups, spec.layers)
    }
}

extension Dictionary where Key == String, Value == Tensor {
    /// The fixture tensor `key`, or an error naming it.
    func fixture(_ key: String) throws -> Tensor {
        guard let value = self[key] else { throw TorchError("fixture has no tensor '\(key)'") }
        return value
    }
}

