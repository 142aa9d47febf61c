import XCTest
@testable import Tokenizers

// Replaced by the real tests of issue 3.
final class TokenizersModuleBuildsTests: XCTestCase {
    func testModuleLinks() {}
}
