import Foundation
import NN
import SafeTensors
import Torch
import XCTest

// Fixture helpers for the block and VAE tests (the pattern of Tests/TorchTests/FixtureSupport.swift, with
// names of their own so that other test files of this target can keep theirs).

/// Reference fixtures written by tools/reference/vae_fixtures.py; tests never run Python.
enum BlockFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Every tensor of `Fixtures/<name>.safetensors`.
    static func load(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.load(path(name + ".safetensors"))
    }

    /// The tensors under `prefix.` with the prefix removed.
    static func strip(_ tensors: [String: Tensor], prefix: String) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.compactMap { key, value in
            key.hasPrefix(prefix + ".") ? (String(key.dropFirst(prefix.count + 1)), value) : nil
        })
    }

    static func tensor(_ tensors: [String: Tensor], _ key: String) throws -> Tensor {
        guard let value = tensors[key] else { throw TorchError("fixture has no tensor '\(key)'") }
        return value
    }
}

/// Runs one block fixture: loads `param.*` into `module`, calls `forward` with the fixture's inputs (made
/// leaves that require grad), compares the output and the gradients of sum(output * upstream).
func checkBlockFixture(_ name: String, _ module: any Module,
                       file: StaticString = #filePath, line: UInt = #line,
                       _ forward: ([String: Tensor]) throws -> Tensor) throws {
    let fixture = try BlockFixtures.load("blocks_" + name)
    try module.load(BlockFixtures.strip(fixture, prefix: "param"), source: "blocks_\(name).safetensors")
    try module.setRequiresGrad(true)
    var inputs: [String: Tensor] = [:]
    for key in ["input", "temb", "encoder_hidden_states"] {
        if let t = fixture[key] { inputs[key] = try t.clone().requiringGrad() }
    }
    let output = try forward(inputs)
    try assertFixtureClose(output, BlockFixtures.tensor(fixture, "output"), "\(name) output", file: file, line: line)
    try (output * BlockFixtures.tensor(fixture, "upstream")).sum().backward()
    let parameters = module.stateDict()
    for (key, expected) in fixture where key.hasPrefix("grad.") {
        let target = String(key.dropFirst("grad.".count))
        let leaf = target.hasPrefix("param.") ? parameters[String(target.dropFirst("param.".count))] : inputs[target]
        guard let leaf, let grad = try leaf.grad() else {
            XCTFail("\(name): no gradient for \(target)", file: file, line: line)
            continue
        }
        try assertFixtureClose(grad, expected, "\(name) \(key)", file: file, line: line)
    }
}
