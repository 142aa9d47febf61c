import Torch
import ParityTesting
import XCTest

/// Reductions and scans against PyTorch (Fixtures/ops_reduction.safetensors): values and gradients.
final class ReductionParityTests: SingleThreadedTestCase {
    func testSumAndMean() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        try checkOp(fx, "sum_all", .reduction) { try $0[0].sum() }
        try checkOp(fx, "sum_dim", .reduction) { try $0[0].sum(dims: [1]) }
        try checkOp(fx, "sum_keepdim", .reduction) { try $0[0].sum(dims: [0, 2], keepDim: true) }
        try checkOp(fx, "sum_f64", .reduction) { try $0[0].sum(dims: [-1], dtype: .float64) }
        try checkOp(fx, "sum_int", .reduction) { try $0[0].sum(dims: [0]) }
        try checkOp(fx, "mean_all", .reduction) { try $0[0].mean() }
        try checkOp(fx, "mean_dims", .reduction) { try $0[0].mean(dims: [0, 2], keepDim: true) }
    }

    func testExtrema() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        try checkOp(fx, "amax", .exact) { try $0[0].amax(dims: [-1]) }
        try checkOp(fx, "amax_all", .exact) { try $0[0].amax() }
        try checkOp(fx, "amin", .exact) { try $0[0].amin(dims: [0, 1], keepDim: true) }
        try checkOps(fx, "max_dim", .exact) {
            let r = try $0[0].max(dim: 1)
            return [r.values, r.indices]
        }
        try checkOps(fx, "min_dim", .exact) {
            let r = try $0[0].min(dim: -1, keepDim: true)
            return [r.values, r.indices]
        }
        try checkOp(fx, "argmax", .exact) { try $0[0].argmax(dim: 2) }
        try checkOp(fx, "argmax_keepdim", .exact) { try $0[0].argmax(dim: 0, keepDim: true) }
    }

    func testVarianceAndStandardDeviation() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        try checkOp(fx, "var_all", .reduction) { try $0[0].variance() }
        try checkOp(fx, "var_dim", .reduction) { try $0[0].variance(dims: [1], keepDim: true) }
        try checkOp(fx, "var_biased", .reduction) { try $0[0].variance(dims: [0, 2], correction: 0) }
        try checkOp(fx, "std_all", .reduction) { try $0[0].std() }
        try checkOp(fx, "std_dim", .reduction) { try $0[0].std(dims: [-1], correction: 0, keepDim: true) }
    }

    func testNormsAndLogSumExp() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        try checkOp(fx, "norm_2", .reduction) { try $0[0].norm() }
        try checkOp(fx, "norm_1_dim", .reduction) { try $0[0].norm(1, dims: [-1]) }
        try checkOp(fx, "norm_inf", .reduction) { try $0[0].norm(.infinity, dims: [1, 2], keepDim: true) }
        try checkOp(fx, "norm_3", .reduction) { try $0[0].norm(3, dims: [0]) }
        try checkOp(fx, "logsumexp_all", .reduction) { try $0[0].logSumExp() }
        try checkOp(fx, "logsumexp_dim", .reduction) { try $0[0].logSumExp(dims: [1], keepDim: true) }
    }

    func testBooleanReductions() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        for name in ["all", "all_true"] { try checkOp(fx, name, .exact) { try $0[0].all() } }
        for name in ["any", "any_false"] { try checkOp(fx, name, .exact) { try $0[0].any() } }
    }

    func testScans() throws {
        let fx = try referenceFixtures.load("ops_reduction")
        try checkOp(fx, "cumsum", .reduction) { try $0[0].cumsum(dim: 1) }
        try checkOp(fx, "cumprod", .reduction) { try $0[0].cumprod(dim: -1) }
    }
}
