import Torch
import XCTest

/// libtorch's intra-op thread count is process-wide: a test that changes it (directly or through a command's
/// `--threads`) would change the last bits of every later multi-threaded reduction. This base saves the count
/// before each test and restores it after; `testThreads` pins it for the test when set.
open class ThreadScopedTestCase: XCTestCase {
    private var previousThreads = 0

    /// The count each test runs with; nil keeps the current one.
    open var testThreads: Int? { nil }

    override open func setUpWithError() throws {
        try super.setUpWithError()
        previousThreads = LibTorch.numThreads
        if let testThreads { try LibTorch.setNumThreads(testThreads) }
    }

    override open func tearDownWithError() throws {
        if previousThreads > 0 { try LibTorch.setNumThreads(previousThreads) }
        try super.tearDownWithError()
    }
}

/// One intra-op thread: how the op fixtures were recorded (ops_fixtures.py; multi-threaded reductions such as
/// conv2d and layer_norm weight gradients sum their partial results in another order), and what tiny models run
/// fastest with (a second thread only waits, far more so on a loaded machine).
open class SingleThreadedTestCase: ThreadScopedTestCase {
    override open var testThreads: Int? { 1 }
}
