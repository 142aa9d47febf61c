import Schedulers
import Torch
import Training
import XCTest

/// `DiffusionObjective.loss(elementWeights:)`: the weighted mean of the squared errors, with and without min-SNR.
final class DiffusionObjectiveTests: XCTestCase {
    func testElementWeightsWeighEachSquaredError() throws {
        let latents = try Tensor.randn([2, 4, 3, 3], generator: Generator(seed: 1))
        let noise = try Tensor.randn([2, 4, 3, 3], generator: Generator(seed: 2))
        let prediction = try Tensor.randn([2, 4, 3, 3], generator: Generator(seed: 3))
        let cell = try Tensor.rand([2, 1, 3, 3], generator: Generator(seed: 4)) * 3
        for gamma in [nil, 5.0] {
            let objective = DiffusionObjective(schedule: try DDPMSchedule(), scalingFactor: 1, snrGamma: gamma)
            let draw = try objective.draw(latents: latents, noise: noise, timesteps: Tensor([Int64(10), 700]))
            let plain = try objective.loss(prediction: prediction, draw: draw).item()
            let ones = try objective.loss(prediction: prediction, draw: draw, elementWeights: cell.onesLike()).item()
            XCTAssertEqual(ones, plain, accuracy: 1e-6 * plain, "unit weights are the unweighted loss (gamma \(String(describing: gamma)))")
            // The epsilon target is the noise: the weighted squared errors, averaged per sample, then min-SNR's
            // per-sample weights (none without gamma).
            let errors = try (prediction - noise).square() * cell
            var perSample = try errors.mean(dims: [1, 2, 3]).toArray(Float.self).map(Double.init)
            if let gamma {
                let snr = try objective.schedule.snr(timesteps: draw.timesteps).toArray(Float.self).map(Double.init)
                perSample = zip(perSample, snr).map { $0 * min($1, gamma) / $1 }
            }
            let expected = perSample.reduce(0, +) / 2
            let weighted = try objective.loss(prediction: prediction, draw: draw, elementWeights: cell).item()
            XCTAssertEqual(weighted, expected, accuracy: 1e-5 * expected, "gamma \(String(describing: gamma))")
        }
    }
}
