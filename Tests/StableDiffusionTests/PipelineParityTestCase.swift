import Foundation
import Torch
import XCTest

/// Base of the whole-pipeline parity tests. Their fixtures were recorded with PyTorch's default intra-op threads
/// (this machine's core count), and the bits of a multi-threaded reduction depend on the count. libtorch's count
/// is process-wide and other tests change it (spf's `--threads 1` in the CLI tests stays set), so each test runs
/// with the count spf itself uses by default, the active processors, and restores the previous one after.
class PipelineParityTestCase: XCTestCase {
    private var previousThreads = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        previousThreads = LibTorch.numThreads
        try LibTorch.setNumThreads(ProcessInfo.processInfo.activeProcessorCount)
    }

    override func tearDownWithError() throws {
        if previousThreads > 0 { try LibTorch.setNumThreads(previousThreads) }
        try super.tearDownWithError()
    }
}
