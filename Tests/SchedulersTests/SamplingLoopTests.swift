import Schedulers
import Torch
import XCTest

/// Five-step sampling loops with a fake model against diffusers, sample and x0 after every step.
final class SamplingLoopTests: XCTestCase {
    /// The fixtures' deterministic stand-in for a UNet: 0.3 tanh(x) + 0.01 t / 1000.
    static func fakeModel(_ x: Tensor, _ t: Double) throws -> Tensor {
        try 0.3 * x.tanh() + 0.01 * t / 1000
    }

    func testLoopsMatchDiffusers() throws {
        let fixtures = try SchedulerFixtures.get()
        let steps = fixtures.meta["loop_steps"] as! Int
        let shape = fixtures.meta["latent_shape"] as! [Int]
        let latentSeed = UInt64(fixtures.meta["latent_seed"] as! Int)
        let stepSeed = UInt64(fixtures.meta["step_seed"] as! Int)
        var report: [String] = []
        for entry in fixtures.cases where entry["loop"] as? Bool == true {
            let variant = entry["variant"] as! String, sampler = entry["sampler"] as! String
            let prefix = "\(variant)/\(sampler)"
            let scheduler = try fixtures.makeSampler(sampler, variant: variant)
            try scheduler.setTimesteps(steps)
            var latents = try Tensor.randn(shape, generator: Generator(seed: latentSeed)) * scheduler.initNoiseSigma
            try assertIdentical(latents, fixtures.tensor("\(prefix)/latents"), "\(prefix) initial latents")
            let generator = try Generator(seed: stepSeed)
            var worst = 0.0
            for (i, t) in scheduler.timestepValues.enumerated() {
                let input = try scheduler.scaleModelInput(latents, timestep: t)
                let output = try Self.fakeModel(input, t)
                let result = try scheduler.stepOutput(modelOutput: output, timestep: t, sample: latents,
                                                      generator: generator)
                latents = result.prevSample
                let expected = try fixtures.tensor("\(prefix)/sample/\(i)")
                let (error, scale) = try maxError(latents, expected)
                worst = max(worst, error / max(scale, 1e-12))
                try assertClose(latents, expected, rtol: 1e-5, atol: 0, "\(prefix) sample \(i)")
                if let expectedX0 = fixtures.tensors["\(prefix)/x0/\(i)"] {
                    let x0 = try XCTUnwrap(result.predOriginalSample, "\(prefix) x0 \(i)")
                    let (e, s) = try maxError(x0, expectedX0)
                    worst = max(worst, e / max(s, 1e-12))
                    try assertClose(x0, expectedX0, rtol: 1e-5, atol: 0, "\(prefix) x0 \(i)")
                } else {
                    XCTAssertNil(result.predOriginalSample, "\(prefix) x0 \(i)")
                }
            }
            report.append("\(prefix): max relative error \(worst)")
        }
        print("Sampling loops vs diffusers 0.42.1:\n  " + report.joined(separator: "\n  "))
        XCTAssertGreaterThan(report.count, 30)
    }

    /// A second setTimesteps (or reset) starts over: the same loop twice gives the same result.
    func testSetTimestepsClearsState() throws {
        for name in ["dpmpp_2m", "euler", "euler_a"] {
            let scheduler = try makeScheduler(name: name)
            func run() throws -> Tensor {
                try scheduler.setTimesteps(4)
                var x = try Tensor.randn([1, 4, 8, 8], generator: Generator(seed: 1)) * scheduler.initNoiseSigma
                let generator = try Generator(seed: 2)
                for t in scheduler.timestepValues {
                    let output = try Self.fakeModel(scheduler.scaleModelInput(x, timestep: t), t)
                    x = try scheduler.step(modelOutput: output, timestep: t, sample: x, generator: generator)
                }
                return x
            }
            let first = try run()
            try assertIdentical(try run(), first, name)
        }
    }
}
