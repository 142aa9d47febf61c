import Torch
import ParityTesting
import XCTest

/// Elementwise math, comparisons, where/clamp/lerp against PyTorch (Fixtures/ops_elementwise.safetensors,
/// written by tools/reference/ops_fixtures.py): values and gradients.
final class ElementwiseParityTests: SingleThreadedTestCase {
    func testUnaryOps() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("neg", { try $0.neg() }), ("exp", { try $0.exp() }), ("log", { try $0.log() }),
            ("sqrt", { try $0.sqrt() }), ("rsqrt", { try $0.rsqrt() }), ("abs", { try $0.abs() }),
            ("sin", { try $0.sin() }), ("cos", { try $0.cos() }), ("tanh", { try $0.tanh() }),
            ("sigmoid", { try $0.sigmoid() }), ("silu", { try $0.silu() }), ("relu", { try $0.relu() }),
            ("square", { try $0.square() }), ("reciprocal", { try $0.reciprocal() }), ("erf", { try $0.erf() }),
            ("sign", { try $0.sign() }), ("floor", { try $0.floor() }), ("ceil", { try $0.ceil() }),
            ("round", { try $0.round() }), ("neg_operator", { try -$0 }),
        ]
        for (name, f) in ops { try checkOp(fx, name, .elementwise) { try f($0[0]) } }
    }

    func testPredicatesOnSpecialValues() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        try checkOp(fx, "logical_not", .elementwise) { try $0[0].logicalNot() }
        try checkOp(fx, "isnan", .elementwise) { try $0[0].isNaN() }
        try checkOp(fx, "isfinite", .elementwise) { try $0[0].isFinite() }
    }

    func testBinaryOpsWithBroadcasting() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        try checkOp(fx, "add", .elementwise) { try $0[0] + $0[1] }
        try checkOp(fx, "add_alpha", .elementwise) { try $0[0].add($0[1], alpha: -0.75) }
        try checkOp(fx, "sub", .elementwise) { try $0[0] - $0[1] }
        try checkOp(fx, "mul", .elementwise) { try $0[0] * $0[1] }
        try checkOp(fx, "div", .elementwise) { try $0[0] / $0[1] }
        try checkOp(fx, "pow", .elementwise) { try $0[0].pow($0[1]) }
        try checkOp(fx, "maximum", .elementwise) { try $0[0].maximum($0[1]) }
        try checkOp(fx, "minimum", .elementwise) { try $0[0].minimum($0[1]) }
        // The named forms give the same as the operators.
        try checkOp(fx, "add", .elementwise) { try $0[0].add($0[1]) }
        try checkOp(fx, "sub", .elementwise) { try $0[0].sub($0[1]) }
        try checkOp(fx, "mul", .elementwise) { try $0[0].mul($0[1]) }
        try checkOp(fx, "div", .elementwise) { try $0[0].div($0[1]) }
    }

    func testComparisonsAndLogic() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        let tensorForms: [(String, (Tensor, Tensor) throws -> Tensor)] = [
            ("eq", { try $0.eq($1) }), ("ne", { try $0.ne($1) }), ("gt", { try $0.gt($1) }),
            ("ge", { try $0.ge($1) }), ("lt", { try $0.lt($1) }), ("le", { try $0.le($1) }),
        ]
        for (name, f) in tensorForms { try checkOp(fx, name, .elementwise) { try f($0[0], $0[1]) } }
        let scalarForms: [(String, (Tensor) throws -> Tensor)] = [
            ("eq", { try $0.eq(1) }), ("ne", { try $0.ne(1) }), ("gt", { try $0.gt(1) }),
            ("ge", { try $0.ge(1) }), ("lt", { try $0.lt(1) }), ("le", { try $0.le(1) }),
        ]
        for (name, f) in scalarForms { try checkOp(fx, name + "_scalar", .exact) { try f($0[0]) } }
        try checkOp(fx, "logical_and", .elementwise) { try $0[0].logicalAnd($0[1]) }
        try checkOp(fx, "logical_or", .elementwise) { try $0[0].logicalOr($0[1]) }
    }

    func testScalarOperators() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        try checkOp(fx, "add_scalar", .elementwise) { try $0[0] + 0.25 }
        try checkOp(fx, "add_scalar", .elementwise) { try 0.25 + $0[0] }
        try checkOp(fx, "sub_scalar", .elementwise) { try $0[0] - 1.5 }
        try checkOp(fx, "mul_scalar", .elementwise) { try $0[0] * -3.0 }
        try checkOp(fx, "mul_scalar", .elementwise) { try -3.0 * $0[0] }
        try checkOp(fx, "div_scalar", .elementwise) { try $0[0] / 7.0 }
        try checkOp(fx, "rsub_scalar", .elementwise) { try 2.0 - $0[0] }
        try checkOp(fx, "rdiv_scalar", .elementwise) { try 2.0 / $0[0] }
        try checkOp(fx, "pow_scalar", .elementwise) { try $0[0].pow(3.0) }
        try checkOp(fx, "pow_half", .elementwise) { try $0[0].pow(0.5) }
        try checkOp(fx, "scalar_pow", .elementwise) { try pow(2.0, $0[0]) }
        try checkOp(fx, "remainder_scalar", .elementwise) { try $0[0].remainder(0.7) }
    }

    func testWhereClampLerp() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        try checkOp(fx, "where", .elementwise) { try $0[1].where($0[0], else: $0[2]) }
        try checkOp(fx, "clamp", .elementwise) { try $0[0].clamp(min: -0.5, max: 0.75) }
        try checkOp(fx, "clamp_min", .elementwise) { try $0[0].clamp(min: -0.25) }
        try checkOp(fx, "clamp_max", .elementwise) { try $0[0].clamp(max: 0.5) }
        try checkOp(fx, "lerp", .elementwise) { try $0[0].lerp($0[1], weight: 0.3) }
    }

    /// The in-place updates change the first input; the fixture holds it after the update.
    func testInPlaceUpdates() throws {
        let fx = try referenceFixtures.load("ops_elementwise")
        let updates: [(String, ([Tensor]) throws -> Void)] = [
            ("inplace_add", { try $0[0].add_($0[1], alpha: 0.5) }),
            ("inplace_add_scalar", { try $0[0].add_(1.25) }),
            ("inplace_mul", { try $0[0].mul_($0[1]) }),
            ("inplace_mul_scalar", { try $0[0].mul_(-0.5) }),
            ("inplace_div", { try $0[0].div_($0[1]) }),
            ("inplace_addcmul", { try $0[0].addcmul_($0[1], $0[2], value: 0.3) }),
            ("inplace_addcdiv", { try $0[0].addcdiv_($0[1], $0[2], value: -0.2) }),
            ("inplace_lerp", { try $0[0].lerp_($0[1], weight: 0.9) }),
            ("inplace_sqrt", { try $0[0].sqrt_() }),
            ("inplace_copy", { try $0[0].copy_($0[1]) }),
            ("inplace_zero", { try $0[0].zero_() }),
            ("inplace_fill", { try $0[0].fill_(2.5) }),
        ]
        for (name, update) in updates {
            try checkOp(fx, name, .elementwise) { inputs in
                try update(inputs)
                return inputs[0]
            }
        }
    }
}
