import XCTest
@testable import Schedulers

// Replaced by the real tests of issue 3.
final class SchedulersModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
