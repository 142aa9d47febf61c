import XCTest
@testable import CLIP

// Replaced by the real tests of issue 3.
final class CLIPModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
