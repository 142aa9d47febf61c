import Torch
import ParityTesting
import XCTest

/// Matrix products against PyTorch (Fixtures/ops_linalg.safetensors): values and gradients.
final class LinearAlgebraParityTests: SingleThreadedTestCase {
    func testMatmulShapes() throws {
        let fx = try referenceFixtures.load("ops_linalg")
        for name in ["matmul_2d", "matmul_batched", "matmul_broadcast", "matmul_vector"] {
            try checkOp(fx, name, .reduction) { try $0[0].matmul($0[1]) }
        }
        try checkOp(fx, "mm", .reduction) { try $0[0].mm($0[1]) }
        try checkOp(fx, "bmm", .reduction) { try $0[0].bmm($0[1]) }
    }

    func testFusedMultiplyAdd() throws {
        let fx = try referenceFixtures.load("ops_linalg")
        try checkOp(fx, "baddbmm", .reduction) { try $0[0].baddbmm($0[1], $0[2], beta: 0.5, alpha: 2.0) }
        try checkOp(fx, "addmm", .reduction) { try $0[0].addmm($0[1], $0[2], beta: -1.0, alpha: 0.25) }
    }

    func testLinear() throws {
        let fx = try referenceFixtures.load("ops_linalg")
        try checkOp(fx, "linear", .reduction) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
        try checkOp(fx, "linear_nobias", .reduction) { try $0[0].linear(weight: $0[1]) }
    }

    func testHalfPrecision() throws {
        let fx = try referenceFixtures.load("ops_linalg")
        try checkOp(fx, "matmul_bf16", .reduction) { try $0[0].matmul($0[1]) }
        try checkOp(fx, "linear_f16", .reduction) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
    }
}
