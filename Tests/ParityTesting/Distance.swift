import Foundation
import Torch

/// Precision facts of a floating dtype.
public struct FloatFormat: Sendable {
    /// Significand bits including the implicit one (24 for float32).
    public let precision: Int
    /// Exponent of the smallest normal number (-126 for float32).
    public let minExponent: Int

    public static func of(_ dtype: DType) -> FloatFormat? {
        switch dtype {
        case .float32: FloatFormat(precision: 24, minExponent: -126)
        case .float64: FloatFormat(precision: 53, minExponent: -1022)
        case .float16: FloatFormat(precision: 11, minExponent: -14)
        case .bfloat16: FloatFormat(precision: 8, minExponent: -126)
        default: nil
        }
    }

    /// Unit roundoff u = 2^-precision.
    public var unitRoundoff: Double { pow(2, Double(-precision)) }

    /// The spacing of representable numbers at |x| (subnormal spacing below the normal range).
    public func ulp(_ x: Double) -> Double {
        let magnitude = abs(x)
        let exponent = magnitude == 0 || !magnitude.isFinite ? minExponent : max(Int(magnitude.exponent), minExponent)
        return pow(2, Double(exponent - precision + 1))
    }
}

/// The worst element of a comparison, in the budget's units.
public struct Distance: Sendable {
    /// max over elements of |a - b| / budget(b) (<= 1 passes); infinite for NaN/Inf mismatches.
    public var worstFraction: Double = 0
    /// |a - b| of that element in ulps of b, and relative to u * max|expected|.
    public var worstULPs: Double = 0
    public var worstScaleUnits: Double = 0
    public var worstIndex: Int = -1
    public var actualValue: Double = 0
    public var expectedValue: Double = 0
    public var differing = 0

    /// Measures `actual` against `expected` (same shape) under `budget`, in `format`'s precision.
    public static func measure(_ actual: [Double], _ expected: [Double], format: FloatFormat,
                               budget: Budget) -> Distance {
        var d = Distance()
        let u = format.unitRoundoff
        let scale = expected.reduce(0) { $1.isFinite ? max($0, abs($1)) : $0 }
        for i in expected.indices {
            let a = actual[i], b = expected[i]
            if a == b || (a.isNaN && b.isNaN) { continue }
            d.differing += 1
            let error = abs(a - b)
            let ulp = format.ulp(b)
            let allowed = budget.ulps * ulp + budget.scaleUnits * u * scale
            let fraction = (a.isFinite && b.isFinite) ? (allowed > 0 ? error / allowed : .infinity) : .infinity
            if fraction > d.worstFraction || d.worstIndex < 0 {
                d.worstFraction = fraction
                d.worstULPs = error / ulp
                d.worstScaleUnits = scale > 0 ? error / (u * scale) : .infinity
                d.worstIndex = i
                d.actualValue = a
                d.expectedValue = b
            }
        }
        return d
    }
}
