import Foundation
import Torch
import XCTest

/// Replays one op recorded by tools/reference/ops_fixtures.py. The fixture holds, for op `name`:
/// `name.input<i>`, `name.out` (or `name.out<k>` for several outputs), `name.upstream[<k>]` for the
/// differentiable outputs and `name.grad<i>` = d/d input<i> of sum_k (out<k> * upstream<k>).sum().
///
/// `op` receives fresh copies of the inputs (leaves that require grad wherever a gradient was recorded) and
/// returns its outputs; values, dtypes and gradients are compared with `assertClose`.
/// Set OPS_FIXTURE_ERRORS=1 to print every comparison that is not bit-exact with its measured error.
func checkOps(_ fixtures: [String: Tensor], _ name: String, rtol: Double = 1e-5, atol: Double = 1e-6,
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
    XCTAssertEqual(outputs.count, expected.count, "\(name): number of outputs", file: file, line: line)
    for (k, (actual, reference)) in zip(outputs, expected).enumerated() {
        let label = expected.count == 1 ? "\(name).out" : "\(name).out\(k)"
        try compare(actual, reference, label, rtol: rtol, atol: atol, file: file, line: line)
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
        try compare(gradient, fixture("grad\(i)")!, "\(name).grad\(i)", rtol: rtol, atol: atol, file: file,
                    line: line)
    }
}

/// `checkOps` for an op with one output.
func checkOp(_ fixtures: [String: Tensor], _ name: String, rtol: Double = 1e-5, atol: Double = 1e-6,
             file: StaticString = #filePath, line: UInt = #line, _ op: ([Tensor]) throws -> Tensor) throws {
    try checkOps(fixtures, name, rtol: rtol, atol: atol, file: file, line: line) { [try op($0)] }
}

/// Same dtype, and the same bits or else `assertClose`; with OPS_FIXTURE_ERRORS=1, reports the measured error of
/// anything that is not bit-exact.
func compare(_ actual: Tensor, _ expected: Tensor, _ label: String, rtol: Double = 1e-5, atol: Double = 1e-6,
             file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.dtype, expected.dtype, "\(label): dtype", file: file, line: line)
    // The same bits are equal, infinities and NaNs included (which assertClose's |a - b| cannot judge).
    if actual.shape == expected.shape, actual.dtype == expected.dtype, try actual.bytes() == expected.bytes() {
        return
    }
    try assertClose(actual, expected, rtol: rtol, atol: atol, label, file: file, line: line)
    if ProcessInfo.processInfo.environment["OPS_FIXTURE_ERRORS"] == "1", actual.shape == expected.shape {
        let a = try actual.to(.float64)
        let b = try expected.to(.float64)
        let error = try (a - b).abs().amax().item()
        let scale = try b.abs().amax().item()
        print("ops parity: \(label) not bit-exact: max abs error \(error), max |expected| \(scale)")
    }
}

/// Base of the parity tests and the leak test: one intra-op thread, as the fixtures were recorded
/// (ops_fixtures.py). With more, libtorch splits some reductions (the weight gradients of conv2d and layer_norm
/// over the batch) across threads and sums the partial results in another order, which moves the last bit; and
/// on a busy machine tiny multi-threaded ops mostly wait on each other. The previous count is restored afterwards.
class SingleThreadedTestCase: XCTestCase {
    private var previousThreads = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        previousThreads = LibTorch.numThreads
        try LibTorch.setNumThreads(1)
    }

    override func tearDownWithError() throws {
        if previousThreads > 0 { try LibTorch.setNumThreads(previousThreads) }
        try super.tearDownWithError()
    }
}
