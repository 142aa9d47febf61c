import Foundation
import NN
import SafeTensors
import Torch
import ParityTesting
import XCTest

/// Runs one block fixture: loads `param.*` into `module`, calls `forward` with the fixture's inputs (made
/// leaves that require grad), compares the output and the gradients of sum(output * upstream).
func checkBlockFixture(_ name: String, _ module: any Module,
                       file: StaticString = #filePath, line: UInt = #line,
                       _ forward: ([String: Tensor]) throws -> Tensor) throws {
    let fixture = try referenceFixtures.load("blocks_" + name)
    try module.load(fixture.stripping(prefix: "param."), source: "blocks_\(name).safetensors")
    try module.setRequiresGrad(true)
    var inputs: [String: Tensor] = [:]
    for key in ["input", "temb", "encoder_hidden_states"] {
        if let t = fixture[key] { inputs[key] = try t.clone().requiringGrad() }
    }
    let output = try forward(inputs)
    try assertParity(output, fixture.fixture("output"), BlockBudget.forward, "\(name) output", in: referenceFixtures, file: file, line: line)
    try (output * fixture.fixture("upstream")).sum().backward()
    let parameters = module.stateDict()
    for (key, expected) in fixture where key.hasPrefix("grad.") {
        let target = String(key.dropFirst("grad.".count))
        let leaf = target.hasPrefix("param.") ? parameters[String(target.dropFirst("param.".count))] : inputs[target]
        guard let leaf, let grad = try leaf.grad() else {
            XCTFail("\(name): no gradient for \(target)", file: file, line: line)
            continue
        }
        try assertParity(grad, expected, BlockBudget.backward, "\(name) \(key)", in: referenceFixtures, file: file, line: line)
    }
}
