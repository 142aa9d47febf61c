import ArgumentParser
import Evaluation
import Schedulers

/// The sampling flags of the commands that generate evaluation sets (`spf eval`, `spf world quality`).
struct SamplingOptions: ParsableArguments {
    @Option(help: "Denoising steps.")
    var steps = 25
    @Option(help: "Classifier-free guidance scale (3: the shipped world model's best; docs/portrait-world.md).")
    var guidance = 3.0
    @Option(name: .customLong("guidance-rescale"), help: "diffusers' guidance_rescale in [0, 1] (0: plain guidance).")
    var guidanceRescale = 0.0
    @OptionGroup var projectedGuidance: ProjectedGuidanceOptions
    @Option(help: "Sampler: ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras, ddpm, or a diffusers class name.")
    var scheduler = "DDIMScheduler"

    /// The settings, after the range and name checks (before any model is loaded).
    func settings() throws -> SamplingSettings {
        guard (1...1000).contains(steps) else { throw InputError("--steps must be in 1...1000, got \(steps)") }
        guard schedulerNames.contains(scheduler) else {
            throw InputError("--scheduler \(scheduler): unknown sampler (one of \(schedulerNames.joined(separator: ", ")))")
        }
        guard (0...1).contains(guidanceRescale) else {
            throw InputError("--guidance-rescale must be in 0...1, got \(guidanceRescale)")
        }
        var sampling = SamplingSettings()
        sampling.projectedGuidance = try projectedGuidance.settings()
        sampling.steps = steps
        sampling.guidanceScale = guidance
        sampling.guidanceRescale = guidanceRescale
        sampling.scheduler = scheduler
        return sampling
    }
}
