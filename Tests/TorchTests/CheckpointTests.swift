import Torch
import XCTest

final class CheckpointTests: XCTestCase {
    /// A two-layer block with its own parameters, like a UNet block.
    struct Block {
        let w1: Tensor, b1: Tensor, w2: Tensor
        init(seed: UInt64) throws {
            let g = try Generator(seed: seed)
            w1 = try Tensor.randn([8, 4], generator: g).requiringGrad()
            b1 = try Tensor.randn([8], generator: g).requiringGrad()
            w2 = try Tensor.randn([3, 8], generator: g).requiringGrad()
        }
        func callAsFunction(_ x: Tensor) throws -> Tensor {
            try x.linear(weight: w1, bias: b1).tanh().linear(weight: w2)
        }
        var parameters: [Tensor] { [w1, b1, w2] }
    }

    private func gradients(checkpointed: Bool, inputRequiresGrad: Bool) throws -> [[Float]] {
        let block = try Block(seed: 3)
        let x = try Tensor.randn([5, 4], generator: Generator(seed: 9)).requiringGrad(inputRequiresGrad)
        let y = checkpointed ? try Tensor.checkpoint([x]) { try [block($0[0])] }[0] : try block(x)
        try (y * y).sum().backward()
        var result = try block.parameters.map { try XCTUnwrap($0.grad()).floats() }
        if inputRequiresGrad { result.append(try XCTUnwrap(x.grad()).floats()) }
        return result
    }

    func testGradientsEqualPlainBackward() throws {
        XCTAssertEqual(try gradients(checkpointed: true, inputRequiresGrad: true),
                       try gradients(checkpointed: false, inputRequiresGrad: true))
    }

    func testParametersGetGradientsWhenInputNeedsNone() throws {
        XCTAssertEqual(try gradients(checkpointed: true, inputRequiresGrad: false),
                       try gradients(checkpointed: false, inputRequiresGrad: false))
    }

    func testForwardKeepsNoGraphInsideAndRecomputesOnBackward() throws {
        let block = try Block(seed: 1)
        var calls = 0
        let x = try Tensor.randn([2, 4]).requiringGrad()
        let y = try Tensor.checkpoint([x]) { inputs in
            calls += 1
            // Inside the first run nothing is recorded; in the recomputation gradients are on.
            XCTAssertEqual(Tensor.isGradEnabled, calls == 2)
            return [try block(inputs[0])]
        }[0]
        XCTAssertEqual(calls, 1)
        XCTAssertTrue(y.requiresGrad)
        try y.sum().backward()
        XCTAssertEqual(calls, 2)
    }

    func testErrorsInsideTheClosureSurfaceAsTorchErrors() throws {
        let x = try Tensor.randn([2, 4]).requiringGrad()
        XCTAssertThrowsError(try Tensor.checkpoint([x]) { inputs in [try inputs[0].matmul(Tensor.zeros([5, 5]))] }) {
            XCTAssert("\($0)".contains("mat1 and mat2 shapes cannot be multiplied"), "\($0)")
        }
    }

    func testNoLeakedTensorsOrClosures() throws {
        let before = LibTorch.liveTensorCount
        do {
            let block = try Block(seed: 2)
            for _ in 0..<20 {
                let x = try Tensor.randn([3, 4]).requiringGrad()
                try Tensor.checkpoint([x]) { [try block($0[0])] }[0].sum().backward()
            }
        }
        XCTAssertEqual(LibTorch.liveTensorCount, before)
    }

    func testWithoutGradModeIsAPlainCall() throws {
        let block = try Block(seed: 4)
        let x = try Tensor.randn([2, 4])
        let y = try Tensor.withNoGrad { try Tensor.checkpoint([x]) { [try block($0[0])] }[0] }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(try y.floats(), try Tensor.withNoGrad { try block(x).floats() })
    }
}
