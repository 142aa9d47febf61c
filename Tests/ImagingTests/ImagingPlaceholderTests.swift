import XCTest
@testable import Imaging

// Replaced by the real tests of issue 3.
final class ImagingModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
