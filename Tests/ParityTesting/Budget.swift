import Foundation
import Torch

/// How far a result may sit from the reference when the two ran on different CPU kernels (docs/parity.md
/// derives these). Per element: |actual - expected| <= ulps * ulp(expected) + scaleUnits * u * max|expected|,
/// where ulp and the unit roundoff u are those of the tensor's dtype (u = 2^-24 float32, 2^-11 float16,
/// 2^-8 bfloat16, 2^-53 float64). Integer and boolean tensors are always compared exactly.
public struct Budget: Sendable, CustomStringConvertible {
    public let kind: String
    public let ulps: Double
    public let scaleUnits: Double
    /// Whether a machine whose kernels equal the fixtures' must reproduce them bit for bit (false only where
    /// the reference itself is not deterministic on one machine, such as multi-threaded reductions).
    public let exactOnSameMachine: Bool

    /// The constant of the reduction rule, calibrated in docs/parity.md from the worst distances measured under
    /// ATEN_CPU_CAPABILITY=default/avx2/avx512 (with headroom for CPUs we have not seen).
    public static let reductionConstant = 8.0

    /// Copies, shape ops, comparisons, integer results: equal bits everywhere.
    public static let exact = Budget(kind: "exact", ulps: 0, scaleUnits: 0, exactOnSameMachine: true)

    /// One elementwise op or a short chain of them: vectorized and scalar kernels of exp, log, tanh, erf, pow
    /// (SLEEF's u10/u35 variants, glibc) are each within 3.5 ulp of the true value and FMA contraction moves
    /// arithmetic by 1 ulp, so two implementations differ by at most ~7 ulp: 8. Where the op subtracts
    /// (a - b, lerp, linspace's two halves, cos near its zeros) the error is relative to the operands, not the
    /// result: 4 u of the tensor's largest magnitude stands in for them.
    public static let elementwise = Budget(kind: "elementwise", ulps: 8, scaleUnits: 4, exactOnSameMachine: true)

    /// `steps` dependent elementwise updates (optimizer steps, Box-Muller's log-sqrt-cos chain): errors add.
    public static func elementwise(steps: Int) -> Budget {
        let n = Double(max(steps, 1))
        return Budget(kind: "elementwise x\(steps)", ulps: 8 * n, scaleUnits: 4 * n, exactOnSameMachine: true)
    }

    /// Sums of `length` products (reductions, GEMM, convolution, normalization statistics, softmax, the
    /// gradient of a broadcast): another summation order moves the result by about sqrt(length) * u relative
    /// to the terms' magnitude (the probabilistic bound of Higham & Mary), which the tensor's max|expected|
    /// stands in for.
    public static func reduction(length: Int) -> Budget {
        Budget(kind: "reduction(\(length))", ulps: 8,
               scaleUnits: reductionConstant * Double(max(length, 1)).squareRoot(), exactOnSameMachine: true)
    }

    /// A whole model or block: `depth` reductions of at most `length` terms in sequence. Each layer adds its
    /// own independent rounding on top of what came in, so (like the terms of one reduction) the errors add in
    /// quadrature: the bound grows like sqrt(length) * sqrt(depth).
    public static func model(length: Int, depth: Int) -> Budget {
        Budget(kind: "model(\(length)x\(depth))", ulps: 8,
               scaleUnits: reductionConstant * Double(max(length, 1)).squareRoot() * Double(max(depth, 1)).squareRoot(),
               exactOnSameMachine: true)
    }

    /// A chain of `length` multiplications (cumprod of a noise schedule): each rounds by at most half an ulp
    /// relative to the running product, and the errors of independent roundings add like a random walk, so the
    /// element's own relative error grows like sqrt(length).
    public static func product(length: Int) -> Budget {
        Budget(kind: "product(\(length))", ulps: 8 * Double(max(length, 1)).squareRoot(), scaleUnits: 0,
               exactOnSameMachine: true)
    }

    /// A stated relative tolerance (of the expected tensor's largest magnitude, whose dtype is `dtype`) for
    /// accuracy checks across precisions, such as a bfloat16 model against its float32 reference: the gap is
    /// the format's, not the CPU's, so it is never required bit-exact.
    public static func accuracy(relative: Double, of dtype: DType) -> Budget {
        Budget(kind: "accuracy \(relative)", ulps: 0, scaleUnits: relative / (FloatFormat.of(dtype)?.unitRoundoff ?? 1),
               exactOnSameMachine: false)
    }

    /// Two error sources in sequence: their bounds add.
    public static func + (a: Budget, b: Budget) -> Budget {
        Budget(kind: "\(a.kind) + \(b.kind)", ulps: a.ulps + b.ulps, scaleUnits: a.scaleUnits + b.scaleUnits,
               exactOnSameMachine: a.exactOnSameMachine && b.exactOnSameMachine)
    }

    /// The same bound, without requiring bit-exactness on the recording machine.
    public var notBitExact: Budget {
        Budget(kind: kind + ", threaded", ulps: ulps, scaleUnits: scaleUnits, exactOnSameMachine: false)
    }

    public var description: String {
        scaleUnits == 0 ? "\(kind): \(fmt(ulps)) ulp" : "\(kind): \(fmt(ulps)) ulp + \(fmt(scaleUnits)) u*max|ref|"
    }
}

func fmt(_ x: Double) -> String {
    if x == 0 { return "0" }
    if x.isInfinite || x.isNaN { return "\(x)" }
    if abs(x) >= 0.01 && abs(x) < 1e5 { return String(format: "%.3g", x) }
    return String(format: "%.2e", x)
}
