import Foundation
import ParityTesting

/// The evaluation tests' common frame: one intra-op thread (tiny world models run fastest so) and a scratch folder
/// per test, removed afterwards.
class ScratchTestCase: ThreadScopedTestCase {
    var directory: String!

    override var testThreads: Int? { 1 }

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-eval-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
        try super.tearDownWithError()
    }
}
