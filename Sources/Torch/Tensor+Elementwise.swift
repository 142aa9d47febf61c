import CTorch

// Elementwise math and comparisons. Operators throw, so arithmetic reads `try a + b * 2`.
extension Tensor {
    private func unary(_ f: (ct_tensor, UnsafeMutablePointer<ct_tensor?>) -> ct_err?) throws -> Tensor {
        try makeTensor { f(handle, $0) }
    }

    private func binary(_ other: Tensor, _ f: (ct_tensor, ct_tensor, UnsafeMutablePointer<ct_tensor?>) -> ct_err?)
        throws -> Tensor
    {
        try makeTensor { f(handle, other.handle, $0) }
    }

    private func scalar(_ value: Double, _ f: (ct_tensor, Double, UnsafeMutablePointer<ct_tensor?>) -> ct_err?)
        throws -> Tensor
    {
        try makeTensor { f(handle, value, $0) }
    }

    public func neg() throws -> Tensor { try unary(ct_neg) }
    public func exp() throws -> Tensor { try unary(ct_exp) }
    public func log() throws -> Tensor { try unary(ct_log) }
    public func sqrt() throws -> Tensor { try unary(ct_sqrt) }
    public func rsqrt() throws -> Tensor { try unary(ct_rsqrt) }
    public func abs() throws -> Tensor { try unary(ct_abs) }
    public func sin() throws -> Tensor { try unary(ct_sin) }
    public func cos() throws -> Tensor { try unary(ct_cos) }
    public func tanh() throws -> Tensor { try unary(ct_tanh) }
    public func sigmoid() throws -> Tensor { try unary(ct_sigmoid) }
    public func silu() throws -> Tensor { try unary(ct_silu) }
    public func relu() throws -> Tensor { try unary(ct_relu) }
    public func square() throws -> Tensor { try unary(ct_square) }
    public func reciprocal() throws -> Tensor { try unary(ct_reciprocal) }
    public func floor() throws -> Tensor { try unary(ct_floor) }
    public func ceil() throws -> Tensor { try unary(ct_ceil) }
    public func round() throws -> Tensor { try unary(ct_round) }
    public func erf() throws -> Tensor { try unary(ct_erf) }
    public func sign() throws -> Tensor { try unary(ct_sign) }
    public func logicalNot() throws -> Tensor { try unary(ct_logical_not) }
    public func isNaN() throws -> Tensor { try unary(ct_isnan) }
    public func isFinite() throws -> Tensor { try unary(ct_isfinite) }

    public func add(_ other: Tensor, alpha: Double = 1) throws -> Tensor {
        alpha == 1 ? try binary(other, ct_add) : try makeTensor { ct_add_alpha(handle, other.handle, alpha, $0) }
    }
    public func sub(_ other: Tensor) throws -> Tensor { try binary(other, ct_sub) }
    public func mul(_ other: Tensor) throws -> Tensor { try binary(other, ct_mul) }
    public func div(_ other: Tensor) throws -> Tensor { try binary(other, ct_div) }
    public func pow(_ other: Tensor) throws -> Tensor { try binary(other, ct_pow) }
    public func pow(_ exponent: Double) throws -> Tensor { try scalar(exponent, ct_pow_scalar) }
    public func remainder(_ divisor: Double) throws -> Tensor { try scalar(divisor, ct_remainder_scalar) }
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(other, ct_maximum) }
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(other, ct_minimum) }
    public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(other, ct_logical_and) }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(other, ct_logical_or) }

    public func eq(_ other: Tensor) throws -> Tensor { try binary(other, ct_eq) }
    public func ne(_ other: Tensor) throws -> Tensor { try binary(other, ct_ne) }
    public func gt(_ other: Tensor) throws -> Tensor { try binary(other, ct_gt) }
    public func ge(_ other: Tensor) throws -> Tensor { try binary(other, ct_ge) }
    public func lt(_ other: Tensor) throws -> Tensor { try binary(other, ct_lt) }
    public func le(_ other: Tensor) throws -> Tensor { try binary(other, ct_le) }
    public func eq(_ value: Double) throws -> Tensor { try scalar(value, ct_eq_scalar) }
    public func ne(_ value: Double) throws -> Tensor { try scalar(value, ct_ne_scalar) }
    public func gt(_ value: Double) throws -> Tensor { try scalar(value, ct_gt_scalar) }
    public func ge(_ value: Double) throws -> Tensor { try scalar(value, ct_ge_scalar) }
    public func lt(_ value: Double) throws -> Tensor { try scalar(value, ct_lt_scalar) }
    public func le(_ value: Double) throws -> Tensor { try scalar(value, ct_le_scalar) }

    /// `condition ? self : other`, elementwise with broadcasting.
    public func `where`(_ condition: Tensor, else other: Tensor) throws -> Tensor {
        try makeTensor { ct_where(condition.handle, handle, other.handle, $0) }
    }

    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try makeTensor { ct_clamp(handle, min == nil ? 0 : 1, min ?? 0, max == nil ? 0 : 1, max ?? 0, $0) }
    }

    /// self + weight * (end - self)
    public func lerp(_ end: Tensor, weight: Double) throws -> Tensor {
        try makeTensor { ct_lerp(handle, end.handle, weight, $0) }
    }

    // MARK: Operators

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(rhs, ct_add) }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(rhs, ct_sub) }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(rhs, ct_mul) }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(rhs, ct_div) }
    public static func + (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.scalar(rhs, ct_add_scalar) }
    public static func - (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.scalar(rhs, ct_sub_scalar) }
    public static func * (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.scalar(rhs, ct_mul_scalar) }
    public static func / (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.scalar(rhs, ct_div_scalar) }
    public static func + (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.scalar(lhs, ct_add_scalar) }
    public static func - (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.scalar(lhs, ct_rsub_scalar) }
    public static func * (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.scalar(lhs, ct_mul_scalar) }
    public static func / (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.reciprocal() * lhs }
    public static prefix func - (operand: Tensor) throws -> Tensor { try operand.neg() }
}

/// base ^ exponent, elementwise.
public func pow(_ base: Double, _ exponent: Tensor) throws -> Tensor {
    try makeTensor { ct_scalar_pow(base, exponent.handle, $0) }
}
