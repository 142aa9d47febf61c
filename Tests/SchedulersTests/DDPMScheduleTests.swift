import Schedulers
import Torch
import ParityTesting
import XCTest

/// The training-side schedule against diffusers' DDPMScheduler and training_utils.compute_snr.
final class DDPMScheduleTests: XCTestCase {
    func testMatchesDiffusers() throws {
        let fixtures = try SchedulerFixtures.get()
        for variant in ["sd15", "cosine", "linear"] {
            let schedule = try DDPMSchedule(config: fixtures.config(variant))
            let p = "train/\(variant)"
            // Same float32 ops in the same order: bit-identical on the recording machine's kernels.
            try assertParity(schedule.betas, fixtures.tensor("\(p)/betas"), .elementwise, "\(variant) betas",
                             in: referenceFixtures)
            try assertParity(schedule.alphasCumprod, fixtures.tensor("\(p)/alphas_cumprod"), .product(length: 1000),
                             "\(variant) alphas_cumprod", in: referenceFixtures)
            let x0 = try fixtures.tensor("\(p)/x0")
            let noise = try fixtures.tensor("\(p)/noise")
            let timesteps = try fixtures.tensor("\(p)/timesteps")
            let noisy = try schedule.addNoise(original: x0, noise: noise, timesteps: timesteps)
            let velocity = try schedule.velocity(sample: x0, noise: noise, timesteps: timesteps)
            let snr = try schedule.snr(timesteps: timesteps)
            for (name, actual) in [("noisy", noisy), ("velocity", velocity), ("snr", snr)] {
                try assertParity(actual, fixtures.tensor("\(p)/\(name)"), SchedulerBudget.schedule,
                                 "\(variant) \(name)", in: referenceFixtures)
            }
            try assertIdentical(schedule.target(for: .vPrediction, original: x0, noise: noise, timesteps: timesteps),
                                velocity, "v target")
            try assertIdentical(schedule.target(for: .epsilon, original: x0, noise: noise, timesteps: timesteps),
                                noise, "epsilon target")
        }
    }

    func testRejectsBadTimesteps() throws {
        let schedule = try DDPMSchedule()
        let x = try Tensor.zeros([2, 4, 8, 8])
        XCTAssertThrowsError(try schedule.addNoise(original: x, noise: x, timesteps: Tensor([Int64(0), 1000]))) {
            XCTAssertTrue("\($0)".contains("0..<1000"), "\($0)")
        }
        XCTAssertThrowsError(try schedule.addNoise(original: x, noise: x, timesteps: Tensor([Int64(3)]))) {
            XCTAssertTrue("\($0)".contains("1 timesteps for a batch of 2"), "\($0)")
        }
        XCTAssertThrowsError(try schedule.snr(timesteps: Tensor([Float(3)]))) {
            XCTAssertTrue("\($0)".contains("integer tensor"), "\($0)")
        }
    }
}
