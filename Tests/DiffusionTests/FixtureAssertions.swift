import Foundation
import Torch
import XCTest

/// Asserts equal shapes and max |a - b| <= atol + rtol * max|b|, printing the measured error on failure.
/// With DIFFUSION_FIXTURE_ERRORS=1 in the environment it also prints every measured error. Shared by the
/// block, VAE and UNet parity tests.
func assertFixtureClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath,
                        line: UInt = #line) throws {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = try actual.to(.float64)
    let b = try expected.to(.float64)
    let maxError = a.numel == 0 ? 0 : try (a - b).abs().amax().item()
    let scale = b.numel == 0 ? 0 : try b.abs().amax().item()
    if ProcessInfo.processInfo.environment["DIFFUSION_FIXTURE_ERRORS"] == "1" {
        print("max abs error \(maxError) (scale \(scale)) \(message())")
    }
    XCTAssert(maxError <= atol + rtol * scale,
              "max abs error \(maxError) > \(atol) + \(rtol) * \(scale) \(message())", file: file, line: line)
}
