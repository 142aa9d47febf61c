import Torch
import ParityTesting
import XCTest

/// torch.nn.functional counterparts against PyTorch (Fixtures/ops_nn.safetensors): values and gradients.
final class NeuralNetworkParityTests: SingleThreadedTestCase {
    func testConvolutions() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "conv2d", .reduction) { try $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 2)) }
        try checkOp(fx, "conv2d_groups", .reduction) {
            try $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1), dilation: (2, 1), groups: 2)
        }
        try checkOp(fx, "conv2d_nobias", .reduction) { try $0[0].conv2d(weight: $0[1]) }
        try checkOp(fx, "conv2d_same", .reduction) { try $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }
        try checkOp(fx, "conv_transpose2d", .reduction) {
            try $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1),
                                      outputPadding: (1, 1))
        }
        try checkOp(fx, "conv_transpose2d_groups", .reduction) {
            try $0[0].convTranspose2d(weight: $0[1], stride: (1, 2), groups: 2)
        }
    }

    func testNormalization() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "group_norm", .reduction) { try $0[0].groupNorm(groups: 3, weight: $0[1], bias: $0[2], eps: 1e-6) }
        try checkOp(fx, "group_norm_plain", .reduction) { try $0[0].groupNorm(groups: 2) }
        try checkOp(fx, "layer_norm", .reduction) { try $0[0].layerNorm(normalizedShape: [8], weight: $0[1], bias: $0[2]) }
        try checkOp(fx, "layer_norm_2d", .reduction) { try $0[0].layerNorm(normalizedShape: [5, 8], eps: 1e-6) }
    }

    func testSoftmax() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "softmax", .reduction) { try $0[0].softmax(dim: -1) }
        try checkOp(fx, "softmax_dim1", .reduction) { try $0[0].softmax(dim: 1) }
        try checkOp(fx, "log_softmax", .reduction) { try $0[0].logSoftmax(dim: -1) }
        try checkOp(fx, "softmax_f16_f32", .reduction) { try $0[0].softmax(dim: -1, dtype: .float32) }
        try checkOp(fx, "log_softmax_bf16_f32", .reduction) { try $0[0].logSoftmax(dim: 0, dtype: .float32) }
    }

    func testActivations() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "gelu", .elementwise) { try $0[0].gelu() }
        try checkOp(fx, "gelu_tanh", .elementwise) { try $0[0].gelu(tanhApproximation: true) }
        try checkOp(fx, "quick_gelu", .elementwise) { try $0[0].quickGelu() }
        try checkOp(fx, "dropout_eval", .elementwise) { try $0[0].dropout(p: 0.5, training: false) }
    }

    func testInterpolation() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "nearest_scale2", .exact) { try $0[0].interpolate(scaleFactor: 2, mode: .nearest) }
        try checkOp(fx, "nearest_scale1_5", .exact) { try $0[0].interpolate(scaleFactor: 1.5, mode: .nearest) }
        try checkOp(fx, "nearest_size", .exact) { try $0[0].interpolate(size: (7, 3), mode: .nearest) }
        try checkOp(fx, "bilinear_scale2", .reduction) { try $0[0].interpolate(scaleFactor: 2, mode: .bilinear) }
        try checkOp(fx, "bilinear_size", .reduction) { try $0[0].interpolate(size: (7, 3), mode: .bilinear) }
        try checkOp(fx, "bilinear_align", .reduction) { try $0[0].interpolate(size: (6, 9), mode: .bilinear, alignCorners: true) }
        try checkOp(fx, "bicubic_size", .reduction) { try $0[0].interpolate(size: (6, 9), mode: .bicubic) }
        try checkOp(fx, "bicubic_antialias", .reduction) { try $0[0].interpolate(size: (3, 2), mode: .bicubic, antialias: true) }
    }

    func testScaledDotProductAttention() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "sdpa", .reduction) { try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }
        for name in ["sdpa_bool_mask", "sdpa_additive_mask"] {
            try checkOp(fx, name, .reduction) {
                try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])
            }
        }
        try checkOp(fx, "sdpa_causal", .reduction) {
            try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)
        }
        try checkOp(fx, "sdpa_scale", .reduction) {
            try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], scale: 0.2)
        }
    }

    func testMathAttentionFallback() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "math_attention", .reduction) { try Tensor.mathAttention(query: $0[0], key: $0[1], value: $0[2]) }
        for name in ["math_attention_bool_mask", "math_attention_additive_mask"] {
            try checkOp(fx, name, .reduction) { try Tensor.mathAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3]) }
        }
        try checkOp(fx, "math_attention_scale", .reduction) {
            try Tensor.mathAttention(query: $0[0], key: $0[1], value: $0[2], scale: 0.2)
        }
        // Half precision: scores in the inputs' dtype, softmax in fp32, probabilities cast back.
        try checkOp(fx, "math_attention_f16", .reduction) { try Tensor.mathAttention(query: $0[0], key: $0[1], value: $0[2]) }
        try checkOp(fx, "math_attention_bf16_bool_mask", .reduction) {
            try Tensor.mathAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])
        }
    }

    /// The math path and the fused kernel compute the same function (different summation orders).
    func testMathAttentionMatchesFusedAttention() throws {
        let fx = try referenceFixtures.load("ops_nn")
        for (math, fused) in [("math_attention", "sdpa"), ("math_attention_bool_mask", "sdpa_bool_mask"),
                              ("math_attention_additive_mask", "sdpa_additive_mask"),
                              ("math_attention_scale", "sdpa_scale")] {
            let reference = try XCTUnwrap(fx["\(fused).out"])
            // Two algorithms on one machine: a reduction's rounding apart, never bit-exact by design.
            try assertParity(XCTUnwrap(fx["\(math).out"]), reference, Budget.reduction(length: reference.numel).notBitExact,
                             math, in: referenceFixtures)
        }
    }

    func testHalfPrecision() throws {
        let fx = try referenceFixtures.load("ops_nn")
        for tag in ["f16", "bf16"] {
            try checkOp(fx, "conv2d_\(tag)", .reduction) { try $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }
            try checkOp(fx, "group_norm_\(tag)", .reduction) {
                try $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2], eps: 1e-6)
            }
            try checkOp(fx, "layer_norm_\(tag)", .reduction) {
                try $0[0].layerNorm(normalizedShape: [8], weight: $0[1], bias: $0[2])
            }
            try checkOp(fx, "sdpa_\(tag)", .reduction) {
                try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2])
            }
            try checkOp(fx, "gelu_\(tag)", .elementwise) { try $0[0].gelu() }
            try checkOp(fx, "silu_\(tag)", .elementwise) { try $0[0].silu() }
            try checkOp(fx, "nearest_scale2_\(tag)", .exact) { try $0[0].interpolate(scaleFactor: 2, mode: .nearest) }
        }
    }

    func testEmbeddingAndLoss() throws {
        let fx = try referenceFixtures.load("ops_nn")
        try checkOp(fx, "embedding", .exact) { try Tensor.embedding(weight: $0[0], indices: $0[1]) }
        try checkOp(fx, "mse_loss", .reduction) { try $0[0].mseLoss($0[1]) }
        try checkOp(fx, "mse_loss_sum", .reduction) { try $0[0].mseLoss($0[1], reduction: .sum) }
        try checkOp(fx, "mse_loss_none", .reduction) { try $0[0].mseLoss($0[1], reduction: .none) }
    }
}
