import Foundation
import SafeTensors
import Schedulers
import Torch
import ParityTesting
import XCTest

/// Reference fixtures written by tools/reference/scheduler_fixtures.py (diffusers 0.42.1 on the same
/// libtorch) and the machine that wrote them; tests never run Python.
let referenceFixtures = FixtureSet()

/// The scheduler fixtures, loaded once for all test classes.
final class SchedulerFixtures: @unchecked Sendable {
    static let shared = Result { try SchedulerFixtures() }

    let tensors: [String: Tensor]
    let meta: [String: Any]

    init() throws {
        tensors = try referenceFixtures.load("schedulers")
        guard let object = try referenceFixtures.json("schedulers.json") as? [String: Any] else {
            throw TorchError("schedulers.json is not a JSON object")
        }
        meta = object
    }

    static func get() throws -> SchedulerFixtures { try shared.get() }

    func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors[name] else { throw TorchError("fixture tensor '\(name)' is missing") }
        return tensor
    }

    /// The raw scheduler_config.json of `variant`, with a sampler's extra keys merged in, decoded.
    func config(_ variant: String, extra: [String: Any] = [:]) throws -> SchedulerConfig {
        guard let configs = meta["configs"] as? [String: String], let text = configs[variant],
              var object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { throw TorchError("no config for variant '\(variant)'") }
        object.merge(extra) { _, new in new }
        return try JSONDecoder().decode(SchedulerConfig.self, from: JSONSerialization.data(withJSONObject: object))
    }

    var samplers: [String: [String: Any]] { meta["samplers"] as? [String: [String: Any]] ?? [:] }
    var cases: [[String: Any]] { meta["cases"] as? [[String: Any]] ?? [] }

    /// The sampler `name` of the fixtures ("ddim_eta", "euler_karras", ...) on `variant`'s config.
    func makeSampler(_ name: String, variant: String) throws -> any Scheduler {
        guard let info = samplers[name], let className = info["class"] as? String else {
            throw TorchError("unknown fixture sampler '\(name)'")
        }
        let scheduler = try makeScheduler(name: className,
                                          config: config(variant, extra: info["extra"] as? [String: Any] ?? [:]))
        if let ddim = scheduler as? DDIMScheduler { ddim.eta = info["eta"] as? Double ?? 0 }
        return scheduler
    }
}

/// Budgets of the scheduler arithmetic on another CPU. The training schedule is float32 torch math: betas
/// (elementwise), then alphas_cumprod, a product of `numTrainTimesteps` factors; everything downstream
/// (sigmas, noisy samples, SNR) inherits that product's error plus a few elementwise steps of its own.
enum SchedulerBudget {
    static let schedule = Budget.product(length: 1000) + .elementwise
    /// A sampling loop after `step + 1` steps: the schedule, the initial latents' Box-Muller draw, and about
    /// four dependent elementwise updates (model stand-in, scaling, update, noise) per step.
    static func loop(step: Int) -> Budget { schedule + .elementwise(steps: 3 + 4 * (step + 1)) }
}

/// Asserts the same dtype, shape and every element bit-for-bit equal (results of one process compared with
/// each other, which must not depend on the CPU).
func assertIdentical(_ actual: Tensor, _ expected: Tensor, _ message: @autoclosure () -> String = "",
                     file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.dtype, expected.dtype, "dtype \(message())", file: file, line: line)
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.dtype == expected.dtype, actual.shape == expected.shape else { return }
    let equal = try actual.bytes() == expected.bytes()
    XCTAssert(equal, "not bit-identical \(message()): \(actual) vs \(expected)", file: file, line: line)
}
