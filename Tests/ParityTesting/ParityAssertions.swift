import Foundation
import Torch
import XCTest

/// The one comparison rule of every parity test. Same dtype and shape always; then
/// - on a machine whose kernels equal the recording machine's (`FixtureSet.bitExactExpected`), the same bits
///   (unless the budget says the reference is not deterministic there);
/// - elsewhere, every element within `budget` (integer and boolean tensors: exact).
/// Prints the worst distance of every check (`parity: <label>: ...`).
public func assertParity(_ actual: Tensor, _ expected: Tensor, _ budget: Budget, _ label: @autoclosure () -> String,
                         in fixtures: FixtureSet, precision: DType? = nil, file: StaticString = #filePath,
                         line: UInt = #line) throws {
    let name = label()
    XCTAssertEqual(actual.dtype, expected.dtype, "\(name): dtype", file: file, line: line)
    XCTAssertEqual(actual.shape, expected.shape, "\(name): shape", file: file, line: line)
    guard actual.dtype == expected.dtype, actual.shape == expected.shape else { return }
    if try actual.bytes() == expected.bytes() {
        print("parity: \(name): bit-exact")
        return
    }
    guard let format = FloatFormat.of(precision ?? expected.dtype) else {
        let differing = try zip(actual.to(.float64).toArray(Double.self), expected.to(.float64).toArray(Double.self))
            .filter { $0 != $1 }.count
        XCTFail("\(name): \(differing) of \(expected.numel) \(expected.dtype) elements differ (integers are exact)",
                file: file, line: line)
        return
    }
    let distance = Distance.measure(try actual.to(.float64).toArray(Double.self),
                                    try expected.to(.float64).toArray(Double.self), format: format, budget: budget)
    let report = "worst \(fmt(distance.worstULPs)) ulp = \(fmt(distance.worstScaleUnits)) u*max|ref| at element "
        + "\(distance.worstIndex) (\(distance.actualValue) vs \(distance.expectedValue)), "
        + "\(distance.differing)/\(expected.numel) differ; budget \(budget)"
    print("parity: \(name): \(report) (\(fmt(distance.worstFraction)) of budget)")
    if fixtures.bitExactExpected && budget.exactOnSameMachine {
        XCTFail("\(name): not bit-exact on the machine that recorded the fixtures (\(runningMachine)): \(report)",
                file: file, line: line)
        return
    }
    XCTAssert(distance.worstFraction <= 1, "\(name): over budget: \(report)", file: file, line: line)
}

/// `assertParity` for a scalar computed in `dtype`'s precision but carried as a Double (init_noise_sigma).
public func assertParity(_ actual: Double, _ expected: Double, precision dtype: DType, _ budget: Budget,
                         _ label: @autoclosure () -> String, in fixtures: FixtureSet,
                         file: StaticString = #filePath, line: UInt = #line) throws {
    try assertParity(Tensor([actual]), Tensor([expected]), budget, label(), in: fixtures, precision: dtype,
                     file: file, line: line)
}

/// Integers made by rounding floats (timesteps): equal, or off by one where the unrounded float `sources[i]`
/// lies within `budget` of the rounding boundary (x.5 for round-half-even, the integers for truncation), so
/// that another CPU's last bit may legitimately round it the other way. Exact on the recording machine.
public func assertRoundedIntegers(_ actual: [Int], _ expected: [Int], sources: [Double],
                                  rounding: FloatingPointRoundingRule, format: FloatFormat, budget: Budget,
                                  _ label: @autoclosure () -> String, in fixtures: FixtureSet,
                                  file: StaticString = #filePath, line: UInt = #line) {
    let name = label()
    XCTAssertEqual(actual.count, expected.count, "\(name): count", file: file, line: line)
    guard actual.count == expected.count, sources.count == actual.count else { return }
    let scale = sources.reduce(0) { max($0, abs($1)) }
    var nearBoundary = 0
    for i in actual.indices where actual[i] != expected[i] {
        let boundary = rounding == .towardZero ? sources[i].rounded() : sources[i].rounded(.down) + 0.5
        let allowed = budget.ulps * format.ulp(sources[i]) + budget.scaleUnits * format.unitRoundoff * scale
        let legitimate = abs(actual[i] - expected[i]) == 1 && abs(sources[i] - boundary) <= allowed
            && !(fixtures.bitExactExpected && budget.exactOnSameMachine)
        XCTAssert(legitimate, "\(name)[\(i)]: \(actual[i]) vs \(expected[i]) from \(sources[i]) "
                  + "(\(abs(sources[i] - boundary)) from the rounding boundary, budget \(allowed))", file: file, line: line)
        nearBoundary += 1
    }
    print("parity: \(name): \(nearBoundary == 0 ? "exact" : "\(nearBoundary) rounded across a boundary")")
}
