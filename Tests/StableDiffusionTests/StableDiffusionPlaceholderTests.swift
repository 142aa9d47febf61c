import XCTest
@testable import StableDiffusion

// Replaced by the real tests of issue 3.
final class StableDiffusionModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
