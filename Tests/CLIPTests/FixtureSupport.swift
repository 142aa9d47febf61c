import Foundation
import NN
import SafeTensors
import Torch
import XCTest

/// Reference fixtures written by tools/reference/clip_fixtures.py (transformers 5.24 on the same libtorch);
/// tests never run Python.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Every tensor of `Fixtures/<name>.safetensors`.
    static func load(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.load(url(name + ".safetensors").path)
    }

    /// The checkpoint part of a fixture: the parameters, by their checkpoint names.
    static func weights(_ all: [String: Tensor]) -> [String: Tensor] {
        let prefixes = ["text_model.", "vision_model.", "text_projection.", "visual_projection.", "logit_scale"]
        return all.filter { key, _ in prefixes.contains { key.hasPrefix($0) } }
    }
}

extension Dictionary where Key == String, Value == Tensor {
    /// A fixture tensor, failing the test with its name when absent.
    func tensor(_ key: String) throws -> Tensor {
        guard let value = self[key] else { throw TorchError("fixture has no tensor '\(key)'") }
        return value
    }
}

/// Asserts equal shapes and max |a - b| <= atol + rtol * max|b|, printing the measured error on failure.
@discardableResult
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) throws
    -> Double
{
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.shape == expected.shape else { return .infinity }
    let a = try actual.to(.float64)
    let b = try expected.to(.float64)
    let maxError = a.numel == 0 ? 0 : try (a - b).abs().amax().item()
    let scale = b.numel == 0 ? 0 : try b.abs().amax().item()
    // CLIP_FIXTURE_ERRORS=1 prints every measured error (for reports).
    if ProcessInfo.processInfo.environment["CLIP_FIXTURE_ERRORS"] != nil {
        print("max abs error \(maxError) (scale \(scale)) \(message())")
    }
    XCTAssert(maxError <= atol + rtol * scale,
              "max abs error \(maxError) > \(atol) + \(rtol) * \(scale) \(message())", file: file, line: line)
    return maxError
}
