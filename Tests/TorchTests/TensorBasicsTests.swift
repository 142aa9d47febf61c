import Torch
import XCTest

/// Creation, conversion, metadata and the error paths of the Swift layer itself.
final class TensorBasicsTests: XCTestCase {
    func testRoundTripOfEverySwiftElementType() throws {
        XCTAssertEqual(try Tensor([Float(1.5), -2], shape: [2]).toArray(Float.self), [1.5, -2])
        XCTAssertEqual(try Tensor([1.25, 2.5]).toArray(Double.self), [1.25, 2.5])
        XCTAssertEqual(try Tensor([Int64(-3), 4]).toArray(Int64.self), [-3, 4])
        XCTAssertEqual(try Tensor([7, 8, 9]).toArray(Int.self), [7, 8, 9])
        XCTAssertEqual(try Tensor([Int32(5)]).toArray(Int32.self), [5])
        XCTAssertEqual(try Tensor([UInt8(255), 0]).toArray(UInt8.self), [255, 0])
        XCTAssertEqual(try Tensor([true, false, true]).toArray(Bool.self), [true, false, true])
        XCTAssertEqual(try Tensor([Float16(0.5), Float16(-1)]).toArray(Float16.self), [0.5, -1])
    }

    func testMetadata() throws {
        let t = try Tensor.zeros([2, 3, 4], dtype: .bfloat16)
        XCTAssertEqual(t.shape, [2, 3, 4])
        XCTAssertEqual(t.ndim, 3)
        XCTAssertEqual(t.numel, 24)
        XCTAssertEqual(t.dtype, .bfloat16)
        XCTAssertEqual(t.device, .cpu)
        XCTAssertEqual(try t.size(-1), 4)
        XCTAssertThrowsError(try t.size(3)) { XCTAssert("\($0)".contains("out of range"), "\($0)") }
        XCTAssertFalse(try t.transpose(0, 2).isContiguous)
    }

    func testConversionsBetweenDTypes() throws {
        let t = try Tensor([Float(1.7), -2.2, 3.5])
        XCTAssertEqual(try t.to(.int64).toArray(Int64.self), [1, -2, 3])
        XCTAssertEqual(try t.to(.bool).toArray(Bool.self), [true, true, true])
        XCTAssertEqual(try t.to(.bfloat16).floats(), [1.703125, -2.203125, 3.5])
        XCTAssertEqual(try t.to(.float16).floats(), [1.7001953, -2.1992188, 3.5])
    }

    func testShapeMismatchOnCreationThrows() {
        XCTAssertThrowsError(try Tensor([Float(1), 2, 3], shape: [2, 2])) {
            XCTAssertEqual("\($0)", "shape [2, 2] holds 4 elements, 3 given")
        }
    }

    func testWrongElementTypeOnReadThrows() throws {
        XCTAssertThrowsError(try Tensor([Float(1)]).toArray(Int64.self)) {
            XCTAssert("\($0)".contains("dtype float32"), "\($0)")
        }
    }

    func testLibtorchErrorsBecomeSwiftErrors() throws {
        let a = try Tensor.zeros([2, 3])
        XCTAssertThrowsError(try a.matmul(Tensor.zeros([4, 5]))) { error in
            XCTAssert(error is TorchError)
            XCTAssert("\(error)".contains("cannot be multiplied (2x3 and 4x5)"), "\(error)")
        }
        XCTAssertThrowsError(try a.to(.cuda(0))) { XCTAssert($0 is TorchError) }
        XCTAssertThrowsError(try a.reshape([7])) { XCTAssert("\($0)".contains("invalid for input of size 6"), "\($0)") }
        XCTAssertThrowsError(try a.item()) { XCTAssert($0 is TorchError) }
    }

    func testGeneratorStateResumesTheSameStream() throws {
        let g = try Generator(seed: 42)
        _ = try Tensor.randn([10], generator: g)
        let state = try g.state()
        let first = try Tensor.randn([5], generator: g).floats()
        try g.setState(state)
        XCTAssertEqual(try Tensor.randn([5], generator: g).floats(), first)
        XCTAssertNotEqual(try Tensor.randn([5], generator: Generator(seed: 43)).floats(),
                          try Tensor.randn([5], generator: Generator(seed: 42)).floats())
    }

    func testNoGradScopeRestoresMode() throws {
        XCTAssertTrue(Tensor.isGradEnabled)
        let w = try Tensor.ones([2]).requiringGrad()
        let y = try Tensor.withNoGrad { try w * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(Tensor.isGradEnabled)
        struct Boom: Error {}
        XCTAssertThrowsError(try Tensor.withNoGrad { throw Boom() })
        XCTAssertTrue(Tensor.isGradEnabled)
    }

    func testParsingNames() {
        XCTAssertEqual(DType(name: "bf16"), .bfloat16)
        XCTAssertEqual(DType(name: "fp16"), .float16)
        XCTAssertNil(DType(name: "f8"))
        XCTAssertEqual(Device(name: "cuda:1"), .cuda(1))
        XCTAssertEqual(Device(name: "cpu"), .cpu)
        XCTAssertNil(Device(name: "tpu"))
        XCTAssertNil(Device(name: "cuda:-1"))
    }

    func testRuntimeFacts() throws {
        XCTAssert(LibTorch.version.hasPrefix("2."), LibTorch.version)  // any libtorch 2.x via LIBTORCH
        XCTAssert(LibTorch.libraryPath.hasSuffix("libtorch_cpu.so"), LibTorch.libraryPath)
        try LibTorch.setNumThreads(2)
        XCTAssertEqual(LibTorch.numThreads, 2)
        XCTAssertThrowsError(try LibTorch.setNumThreads(0))
    }
}
