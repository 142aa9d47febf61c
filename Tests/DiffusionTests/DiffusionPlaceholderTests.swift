import XCTest
@testable import Diffusion

// Replaced by the real tests of issue 3.
final class DiffusionModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
