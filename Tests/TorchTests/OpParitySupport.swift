import Foundation
import Torch
import ParityTesting
import XCTest

/// What an op computes, which decides its budget on another CPU (Tests/ParityTesting/Budget.swift).
enum OpKind {
    /// Copies, views, indexing, conversions, comparisons: the same bits everywhere.
    case exact
    /// Elementwise math (vectorized kernels of exp, tanh, erf... differ by a few ulps across ISAs).
    case elementwise
    /// Sums of products: reductions, GEMM, convolution, normalization, softmax, attention.
    case reduction
}

/// Replays one op recorded by tools/reference/ops_fixtures.py. The fixture holds, for op `name`:
/// `name.input<i>`, `name.out` (or `name.out<k>` for several outputs), `name.upstream[<k>]` for the
/// differentiable outputs and `name.grad<i>` = d/d input<i> of sum_k (out<k> * upstream<k>).sum().
///
/// `op` receives fresh copies of the inputs (leaves that require grad wherever a gradient was recorded) and
/// returns its outputs; values and gradients are compared with `assertParity`: bit-exact on the machine that
/// recorded the fixtures, elsewhere within `kind`'s budget. Op fixtures hold at most a few thousand elements,
/// so the element count of the largest tensor involved bounds every reduction length; gradients are always
/// judged as reductions (the gradient of a broadcast input is a sum).
func checkOps(_ fixtures: [String: Tensor], _ name: String, _ kind: OpKind,
              file: StaticString = #filePath, line: UInt = #line, _ op: ([Tensor]) throws -> [Tensor]) throws {
    func fixture(_ suffix: String) -> Tensor? { fixtures["\(name).\(suffix)"] }

    var inputs: [Tensor] = []
    while let x = fixture("input\(inputs.count)") {
        let copy = try x.clone()
        if fixture("grad\(inputs.count)") != nil { try copy.setRequiresGrad() }
        inputs.append(copy)
    }
    let outputs = try op(inputs)

    let expected: [Tensor]
    if let single = fixture("out") {
        expected = [single]
    } else {
        var many: [Tensor] = []
        while let o = fixture("out\(many.count)") { many.append(o) }
        expected = many
    }
    guard !expected.isEmpty else {
        XCTFail("fixture has no \(name).out", file: file, line: line)
        return
    }
    let length = (inputs + expected).map(\.numel).max() ?? 1
    let valueBudget: Budget = switch kind {
    case .exact: .exact
    case .elementwise: .elementwise
    case .reduction: .reduction(length: length)
    }
    XCTAssertEqual(outputs.count, expected.count, "\(name): number of outputs", file: file, line: line)
    for (k, (actual, reference)) in zip(outputs, expected).enumerated() {
        let label = expected.count == 1 ? "\(name).out" : "\(name).out\(k)"
        try assertParity(actual, reference, valueBudget, label, in: referenceFixtures, file: file, line: line)
    }

    var terms: [Tensor] = []
    for (k, output) in outputs.enumerated() {
        if let upstream = fixture(expected.count == 1 ? "upstream" : "upstream\(k)") {
            terms.append(try (output * upstream).sum())
        }
    }
    let recordedGradients = inputs.indices.filter { fixture("grad\($0)") != nil }
    guard var loss = terms.first else {
        XCTAssert(recordedGradients.isEmpty, "\(name): gradients recorded but no upstream", file: file, line: line)
        return
    }
    for term in terms.dropFirst() { loss = try loss + term }
    try loss.backward()
    for i in recordedGradients {
        guard let gradient = try inputs[i].grad() else {
            XCTFail("\(name): input \(i) received no gradient", file: file, line: line)
            continue
        }
        try assertParity(gradient, fixture("grad\(i)")!, .reduction(length: length), "\(name).grad\(i)",
                         in: referenceFixtures, file: file, line: line)
    }
}

/// `checkOps` for an op with one output.
func checkOp(_ fixtures: [String: Tensor], _ name: String, _ kind: OpKind,
             file: StaticString = #filePath, line: UInt = #line, _ op: ([Tensor]) throws -> Tensor) throws {
    try checkOps(fixtures, name, kind, file: file, line: line) { [try op($0)] }
}
