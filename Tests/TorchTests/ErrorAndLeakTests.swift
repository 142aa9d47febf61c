import Torch
import ParityTesting
import XCTest

/// libtorch failures surface as `TorchError` with libtorch's own text (no crash, no C++ backtrace), and no
/// tensor handle outlives its last Swift reference, on the success and the failure paths alike.
final class ErrorAndLeakTests: SingleThreadedTestCase {
    private func assertThrowsTorchError(_ body: @autoclosure () throws -> Any, containing text: String,
                                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? TorchError else {
                return XCTFail("expected TorchError, got \(type(of: error)): \(error)", file: file, line: line)
            }
            XCTAssert(error.message.contains(text), "message \"\(error.message)\" lacks \"\(text)\"",
                      file: file, line: line)
            XCTAssertFalse(error.message.contains("Exception raised from"), "backtrace in message", file: file,
                           line: line)
        }
    }

    func testMismatchedShapesThrowLibtorchMessages() throws {
        let a = try Tensor.zeros([2, 3])
        assertThrowsTorchError(try a.matmul(Tensor.zeros([4, 5])),
                               containing: "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)")
        assertThrowsTorchError(try a.mm(Tensor.zeros([4, 5])), containing: "cannot be multiplied")
        assertThrowsTorchError(try a + Tensor.zeros([4]), containing: "must match the size of tensor b (4)")
        assertThrowsTorchError(try Tensor.cat([a, Tensor.zeros([2, 4])], dim: 0),
                               containing: "Sizes of tensors must match except in dimension 0")
        assertThrowsTorchError(try a.indexSelect(dim: 1, index: Tensor([Int64(5)])), containing: "out of DATA bounds")
        assertThrowsTorchError(try a.max(dim: 2), containing: "Dimension out of range")
        assertThrowsTorchError(try a.split(sizes: [1, 1], dim: 1),
                               containing: "split_with_sizes expects split_sizes to sum")
        assertThrowsTorchError(try Tensor.zeros([1, 3, 8, 8]).conv2d(weight: Tensor.zeros([4, 2, 3, 3])),
                               containing: "expected input[1, 3, 8, 8] to have 2 channels")
        assertThrowsTorchError(try Tensor.embedding(weight: Tensor.zeros([4, 2]), indices: Tensor([Int64(9)])),
                               containing: "index out of range")
        assertThrowsTorchError(try a.sum().backward(), containing: "does not require grad")
    }

    func testTenThousandOpsLeaveNoHandleBehind() throws {
        let start = LibTorch.liveTensorCount
        var failures = 0
        try Tensor.withGradMode(true) {
            for i in 0..<10_000 {
                let x = try Tensor.randn([4, 3]).requiringGrad()
                let w = try Tensor.ones([3, 2])
                switch i % 8 {
                case 0:
                    let y = try (x.matmul(w).relu() * 2).sum()
                    try y.backward()
                    _ = try x.grad()
                case 1:
                    let (values, indices) = try x.max(dim: 1)
                    _ = try values + indices.to(.float32)
                case 2:
                    _ = try x.chunk(2, dim: 1) + x.split(sizes: [1, 2], dim: 1)
                case 3:
                    _ = try Tensor.cat([x, x], dim: 0).softmax(dim: -1).index([nil, Tensor([Int64(0), 2])])
                case 4:
                    do { _ = try x.matmul(Tensor.zeros([4, 5])) } catch is TorchError { failures += 1 }
                case 5:
                    do { _ = try x.max(dim: 7) } catch is TorchError { failures += 1 }
                case 6:
                    do { _ = try x.split(sizes: [5], dim: 0) } catch is TorchError { failures += 1 }
                default:
                    do { _ = try Tensor.stack([x, w]) } catch is TorchError { failures += 1 }
                }
            }
        }
        XCTAssertEqual(failures, 5_000)
        XCTAssertEqual(LibTorch.liveTensorCount, start, "tensor handles leaked")
    }
}
