import Foundation
import SafeTensors
import Torch
import XCTest

/// Reference fixtures written by tools/reference (PyTorch on the same libtorch); tests never run Python.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Every tensor of `Fixtures/<name>.safetensors`.
    static func load(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.load(path(name + ".safetensors"))
    }
}

/// Asserts equal shapes and max |a - b| <= atol + rtol * max|b|, printing the measured error on failure.
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = try actual.to(.float64)
    let b = try expected.to(.float64)
    let maxError = a.numel == 0 ? 0 : try (a - b).abs().amax().item()
    let scale = b.numel == 0 ? 0 : try b.abs().amax().item()
    XCTAssert(maxError <= atol + rtol * scale,
              "max abs error \(maxError) > \(atol) + \(rtol) * \(scale) \(message())", file: file, line: line)
}
