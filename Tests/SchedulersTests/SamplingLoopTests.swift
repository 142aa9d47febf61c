import Schedulers
import Torch
import ParityTesting
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
        var loops = 0
        for entry in fixtures.cases where entry["loop"] as? Bool == true {
            let variant = entry["variant"] as! String, sampler = entry["sampler"] as! String
            let prefix = "\(variant)/\(sampler)"
            let scheduler = try fixtures.makeSampler(sampler, variant: variant)
            try scheduler.setTimesteps(steps)
            var latents = try Tensor.randn(shape, generator: Generator(seed: latentSeed)) * scheduler.initNoiseSigma
            try assertParity(latents, fixtures.tensor("\(prefix)/latents"), SchedulerBudget.schedule + .elementwise(steps: 3),
                             "\(prefix) initial latents", in: referenceFixtures)
            let generator = try Generator(seed: stepSeed)
            for (i, t) in scheduler.timestepValues.enumerated() {
                let input = try scheduler.scaleModelInput(latents, timestep: t)
                let output = try Self.fakeModel(input, t)
                let result = try scheduler.stepOutput(modelOutput: output, timestep: t, sample: latents,
                                                      generator: generator)
                latents = result.prevSample
                let expected = try fixtures.tensor("\(prefix)/sample/\(i)")
                try assertParity(latents, expected, SchedulerBudget.loop(step: i), "\(prefix) sample \(i)",
                                 in: referenceFixtures)
                if let expectedX0 = fixtures.tensors["\(prefix)/x0/\(i)"] {
                    let x0 = try XCTUnwrap(result.predOriginalSample, "\(prefix) x0 \(i)")
                    try assertParity(x0, expectedX0, SchedulerBudget.loop(step: i), "\(prefix) x0 \(i)",
                                     in: referenceFixtures)
                } else {
                    XCTAssertNil(result.predOriginalSample, "\(prefix) x0 \(i)")
                }
            }
            loops += 1
        }
        XCTAssertGreaterThan(loops, 30)
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
