import Foundation
import SafeTensors
import Torch
import XCTest
@testable import Diffusion

// Fixture helpers for the UNet tests (the pattern of Tests/TorchTests/FixtureSupport.swift, with names of
// their own so that the other test files of this target keep theirs).

/// Reference fixtures written by tools/reference/unet_fixtures.py; tests never run Python.
enum UNetFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Every tensor of `Fixtures/<name>.safetensors`.
    static func load(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.load(path(name + ".safetensors"))
    }

    /// A fixture model ("unet_tiny" or "unet_linear"): its config.json and its weights (stored as float16,
    /// loaded into float32 parameters: the reference ran on exactly these values).
    static func model(_ name: String) throws -> UNet2DConditionModel {
        let config = try UNet2DConditionConfig.load(path(name + "_config.json"))
        let model = try UNet2DConditionModel(config, factory: .uninitialized)
        try model.load(load(name + "_weights"), source: name + "_weights.safetensors")
        return model
    }

    /// The token groups and layers of the capture fixture.
    static func captureSpec() throws -> (groups: [[Int]], layers: [String]) {
        struct Spec: Decodable { let groups: [[Int]]; let layers: [String] }
        let spec = try JSONDecoder().decode(Spec.self, from: Data(contentsOf: directory.appendingPathComponent("unet_tiny_capture.json")))
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

