import Foundation
import SafeTensors
import Schedulers
import Torch
import XCTest

/// Reference fixtures written by tools/reference/scheduler_fixtures.py (diffusers 0.42.1 on the same
/// libtorch); tests never run Python.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Every tensor of `Fixtures/<name>.safetensors`.
    static func load(_ name: String) throws -> [String: Tensor] {
        try SafeTensors.load(path(name + ".safetensors"))
    }

    /// `Fixtures/<name>.json` as a JSON object.
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TorchError("\(name).json is not a JSON object")
        }
        return object
    }
}

/// The scheduler fixtures, loaded once for all test classes.
final class SchedulerFixtures: @unchecked Sendable {
    static let shared = Result { try SchedulerFixtures() }

    let tensors: [String: Tensor]
    let meta: [String: Any]

    init() throws {
        tensors = try Fixtures.load("schedulers")
        meta = try Fixtures.json("schedulers")
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

/// Max |a - b| and max |b| over two tensors, in float64.
func maxError(_ actual: Tensor, _ expected: Tensor) throws -> (error: Double, scale: Double) {
    let a = try actual.to(.float64)
    let b = try expected.to(.float64)
    guard b.numel > 0 else { return (0, 0) }
    return (try (a - b).abs().amax().item(), try b.abs().amax().item())
}

/// Asserts equal shapes and max |a - b| <= atol + rtol * max|b|, printing the measured error on failure.
func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let (error, scale) = try maxError(actual, expected)
    XCTAssert(error <= atol + rtol * scale,
              "max abs error \(error) > \(atol) + \(rtol) * \(scale) \(message())", file: file, line: line)
}

/// Asserts the same dtype, shape and every element bit-for-bit equal.
func assertIdentical(_ actual: Tensor, _ expected: Tensor, _ message: @autoclosure () -> String = "",
                     file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.dtype, expected.dtype, "dtype \(message())", file: file, line: line)
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message())", file: file, line: line)
    guard actual.dtype == expected.dtype, actual.shape == expected.shape else { return }
    let equal = try actual.bytes() == expected.bytes()
    XCTAssert(equal, "not bit-identical \(message()): \(actual) vs \(expected)", file: file, line: line)
}
