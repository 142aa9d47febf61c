import Foundation
import SafeTensors
import Torch
import ParityTesting
import XCTest

/// The optimizers against torch.optim on the same libtorch (fixtures from tools/reference/optim_fixtures.py).
/// The ops are the same ATen calls in the same order, so results are bit-identical on the machine that recorded
/// the fixtures; elsewhere each step's elementwise math may round differently (`Budget.elementwise(steps:)`).
final class OptimizerTests: XCTestCase {
    static let steps = 5
    static let parameterCount = 3
    var fixtures: [String: Tensor] = [:]
    var directory: URL!

    override func setUpWithError() throws {
        fixtures = try referenceFixtures.load("optim")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-optim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func fixture(_ name: String) throws -> Tensor {
        guard let tensor = fixtures[name] else { throw TorchError("fixture tensor '\(name)' is missing") }
        return tensor
    }

    /// Fresh copies of the initial parameters, as leaves that require grad (like nn.Parameter).
    func makeParameters() throws -> [Tensor] {
        try (0..<Self.parameterCount).map { try fixture("param.\($0)").clone().requiringGrad() }
    }

    /// Sets the stored gradients of step `t` (nil where PyTorch had p.grad = None) and steps.
    func step(_ optimizer: Optimizer, _ t: Int) throws {
        for (i, parameter) in optimizer.parameters.enumerated() {
            try parameter.setGrad(fixtures["grad.\(t).\(i)"]?.clone())
        }
        try optimizer.step()
    }


    /// Replays the fixture gradients and compares the parameters after every step, exactly.
    /// `learningRate`, when given, is set before each step, as a scheduler would.
    func assertMatchesTorch(_ prefix: String, learningRate: ((Int) -> Double)? = nil,
                            _ make: ([Tensor]) throws -> Optimizer,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let optimizer = try make(makeParameters())
        for t in 0..<Self.steps {
            if let learningRate { optimizer.learningRate = learningRate(t) }
            try step(optimizer, t)
            for (i, parameter) in optimizer.parameters.enumerated() {
                try assertParity(parameter.detach(), fixture("\(prefix).\(t).\(i)"), .elementwise(steps: t + 1),
                                 "\(prefix).\(t).\(i)", in: referenceFixtures, file: file, line: line)
            }
        }
    }

    // MARK: Equality with PyTorch

    func testAdamWMatchesTorch() throws {
        try assertMatchesTorch("adamw") { try AdamW($0, lr: 1e-2, weightDecay: 1e-2) }
    }

    func testAdamWWithScheduledLearningRateMatchesTorch() throws {
        try assertMatchesTorch("adamw_sched", learningRate: { 1e-2 * Foundation.pow(0.5, Double($0)) }) {
            try AdamW($0, lr: 1e-2, weightDecay: 1e-2)
        }
    }

    func testAdamWAmsgradMatchesTorch() throws {
        try assertMatchesTorch("adamw_amsgrad") { try AdamW($0, lr: 1e-2, weightDecay: 1e-2, amsgrad: true) }
    }

    func testSGDNesterovMatchesTorch() throws {
        try assertMatchesTorch("sgd_nesterov") {
            try SGD($0, lr: 1e-2, momentum: 0.9, weightDecay: 1e-2, nesterov: true)
        }
    }

    func testSGDDampeningMatchesTorch() throws {
        try assertMatchesTorch("sgd_dampening") {
            try SGD($0, lr: 1e-2, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2)
        }
    }

    func testParametersWithoutGradientAreSkipped() throws {
        let optimizer = try AdamW(makeParameters(), lr: 1e-2, weightDecay: 1e-2)
        let before = try optimizer.parameters[2].clone()
        try step(optimizer, 0)  // parameter 2 has no gradient at step 0
        XCTAssertEqual(try optimizer.parameters[2].bytes(), try before.bytes(), "untouched, not even decayed")
        XCTAssertEqual(optimizer.stepCount(parameter: 0), 1)
        XCTAssertEqual(optimizer.stepCount(parameter: 2), 0)
        XCTAssertNil(try optimizer.stateDict().tensors["2.exp_avg"])
        for t in 1..<Self.steps { try step(optimizer, t) }
        XCTAssertEqual(optimizer.stepCount(parameter: 0), 5)
        XCTAssertEqual(optimizer.stepCount(parameter: 2), 3)
    }

    func testClipGradNormMatchesTorch() throws {
        for (name, maxNorm, normType) in [("clip", 1.0, 2.0), ("clip_inf", 0.5, Double.infinity),
                                          ("clip_noop", 1e3, 2.0)] {
            let parameters = try (0..<Self.parameterCount).map { i in
                let p = try fixture("clip.in.\(i)").zerosLike().requiringGrad()
                try p.setGrad(fixture("clip.in.\(i)").clone())
                return p
            }
            let total = try clipGradNorm(parameters, maxNorm: maxNorm, normType: normType)
            // The total norm sums over every gradient element; the clipped gradients scale by it.
            let budget = Budget.reduction(length: parameters.map(\.numel).reduce(0, +))
            try assertParity(total, fixture("\(name).total"), budget, "\(name).total", in: referenceFixtures)
            for (i, p) in parameters.enumerated() {
                try assertParity(XCTUnwrap(p.grad()), fixture("\(name).out.\(i)"), budget, "\(name).out.\(i)",
                                 in: referenceFixtures)
            }
        }
    }

    func testClipGradNormWithoutGradientsIsZero() throws {
        let p = try Tensor.ones([3]).requiringGrad()
        XCTAssertEqual(try clipGradNorm([p], maxNorm: 1).item(), 0)
        XCTAssertNil(try p.grad())
    }

    func testClipGradNormNonfiniteThrowsWhenAsked() throws {
        let p = try Tensor.ones([2]).requiringGrad()
        try p.setGrad(Tensor([Float.infinity, 1]))
        XCTAssertThrowsError(try clipGradNorm([p], maxNorm: 1, errorIfNonfinite: true))
    }

    // MARK: State round trip

    /// 2 steps, save through safetensors, load into a fresh optimizer on fresh copies of the parameters,
    /// 3 more steps: the parameters must equal 5 uninterrupted steps (PyTorch's and this one's) exactly.
    func assertResumesExactly(_ prefix: String, _ make: ([Tensor]) throws -> Optimizer) throws {
        let first = try make(makeParameters())
        for t in 0..<2 { try step(first, t) }
        let state = try first.stateDict()
        let path = directory.appendingPathComponent("\(prefix).safetensors").path
        try SafeTensors.save(state.tensors, metadata: state.metadata, to: path)

        let file = try SafeTensorsFile(path: path)
        let restored = OptimizerState(tensors: try file.tensors(), metadata: file.metadata)
        let resumedParameters = try first.parameters.map { try $0.detach().clone().requiringGrad() }
        // Different hyperparameters on purpose: load must restore the saved ones.
        let second = try make(resumedParameters)
        second.learningRate = 0.5
        try second.load(restored)
        XCTAssertEqual(second.learningRate, 1e-2)
        for t in 2..<Self.steps { try step(second, t) }

        let uninterrupted = try make(makeParameters())
        for t in 0..<Self.steps { try step(uninterrupted, t) }
        for i in 0..<Self.parameterCount {
            XCTAssertEqual(try second.parameters[i].bytes(), try uninterrupted.parameters[i].bytes(), "\(prefix) \(i)")
            try assertParity(second.parameters[i].detach(), fixture("\(prefix).4.\(i)"), .elementwise(steps: Self.steps),
                             "\(prefix) resumed \(i)", in: referenceFixtures)
        }
    }

    func testAdamWStateRoundTripResumesExactly() throws {
        try assertResumesExactly("adamw") { try AdamW($0, lr: 1e-2, weightDecay: 1e-2) }
    }

    func testAdamWAmsgradStateRoundTripResumesExactly() throws {
        try assertResumesExactly("adamw_amsgrad") { try AdamW($0, lr: 1e-2, weightDecay: 1e-2, amsgrad: true) }
    }

    func testSGDStateRoundTripResumesExactly() throws {
        try assertResumesExactly("sgd_nesterov") {
            try SGD($0, lr: 1e-2, momentum: 0.9, weightDecay: 1e-2, nesterov: true)
        }
    }

    func testStateDictContents() throws {
        let optimizer = try AdamW(makeParameters(), lr: 1e-2, weightDecay: 1e-2)
        for t in 0..<2 { try step(optimizer, t) }
        let state = try optimizer.stateDict()
        XCTAssertEqual(Set(state.tensors.keys),
                       ["0.exp_avg", "0.exp_avg_sq", "1.exp_avg", "1.exp_avg_sq", "2.exp_avg", "2.exp_avg_sq"])
        XCTAssertEqual(state.metadata["optimizer"], "AdamW")
        XCTAssertEqual(state.metadata["param_count"], "3")
        XCTAssertEqual(state.metadata["0.step"], "2")
        XCTAssertEqual(state.metadata["2.step"], "1")
        XCTAssertEqual(state.metadata["lr"].flatMap(Double.init), 1e-2)
        XCTAssertEqual(state.metadata["beta2"].flatMap(Double.init), 0.999)
        XCTAssertEqual(state.metadata["eps"].flatMap(Double.init), 1e-8)
    }

    // MARK: Errors

    func assertThrowsMessage(_ expression: @autoclosure () throws -> some Any, containing parts: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            let message = String(describing: error)
            for part in parts {
                XCTAssert(message.contains(part), "'\(message)' lacks '\(part)'", file: file, line: line)
            }
        }
    }

    func testInvalidHyperparametersThrow() throws {
        let p = [try Tensor.zeros([2]).requiringGrad()]
        assertThrowsMessage(try AdamW(p, lr: -1e-3), containing: ["learning rate", "-0.001"])
        assertThrowsMessage(try AdamW(p, betas: (1.0, 0.999)), containing: ["beta1", "1.0"])
        assertThrowsMessage(try AdamW(p, betas: (0.9, -0.1)), containing: ["beta2", "-0.1"])
        assertThrowsMessage(try AdamW(p, eps: -1), containing: ["epsilon"])
        assertThrowsMessage(try AdamW(p, weightDecay: -1), containing: ["weight decay"])
        assertThrowsMessage(try AdamW(p, lr: .nan), containing: ["learning rate"])
        assertThrowsMessage(try SGD(p, lr: -1), containing: ["learning rate"])
        assertThrowsMessage(try SGD(p, momentum: -0.5), containing: ["momentum"])
        assertThrowsMessage(try SGD(p, lr: 0.1, nesterov: true), containing: ["Nesterov"])
        assertThrowsMessage(try SGD(p, lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true),
                            containing: ["Nesterov"])

        // A scheduler can set any value; step() refuses a bad one before touching anything.
        let optimizer = try AdamW(p)
        try p[0].setGrad(Tensor.ones([2]))
        optimizer.learningRate = -1
        assertThrowsMessage(try optimizer.step(), containing: ["learning rate"])
        XCTAssertEqual(optimizer.stepCount(parameter: 0), 0)
    }

    func testLoadRejectsMismatchedState() throws {
        let source = try AdamW(makeParameters(), lr: 1e-2)
        try step(source, 0)
        let state = try source.stateDict()

        // Fewer parameters.
        let two = try AdamW(Array(makeParameters().prefix(2)))
        assertThrowsMessage(try two.load(state), containing: ["3 parameters", "has 2"])

        // Same count, one parameter of another shape: the error names the key and both shapes.
        var parameters = try makeParameters()
        parameters[1] = try Tensor.zeros([6]).requiringGrad()
        let reshaped = try AdamW(parameters, lr: 0.5)
        assertThrowsMessage(try reshaped.load(state), containing: ["1.exp_avg", "[5]", "[6]"])
        XCTAssertEqual(reshaped.learningRate, 0.5, "a failed load changes nothing")
        XCTAssertEqual(reshaped.stepCount(parameter: 0), 0)

        // Another optimizer's state.
        let sgd = try SGD(makeParameters(), lr: 0.1, momentum: 0.9)
        assertThrowsMessage(try sgd.load(state), containing: ["AdamW", "SGD"])

        // Unknown buffers and missing metadata.
        var extra = state
        extra.tensors["7.exp_avg"] = try Tensor.zeros([5])
        assertThrowsMessage(try AdamW(makeParameters()).load(extra), containing: ["7.exp_avg"])
        var missing = state
        missing.metadata["beta2"] = nil
        assertThrowsMessage(try AdamW(makeParameters()).load(missing), containing: ["beta2"])
    }

    func testZeroGrad() throws {
        let optimizer = try SGD(makeParameters(), lr: 0.1)
        try step(optimizer, 1)
        try optimizer.zeroGrad(setToNone: false)
        XCTAssertEqual(try XCTUnwrap(optimizer.parameters[0].grad()).abs().amax().item(), 0)
        try optimizer.zeroGrad()
        for p in optimizer.parameters { XCTAssertNil(try p.grad()) }
    }
}
