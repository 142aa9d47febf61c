import ArgumentParser
import Evaluation

/// The sampling flags of the commands that generate evaluation sets (`spf eval`, `spf world quality`).
struct SamplingOptions: ParsableArguments {
    @Option(help: "Denoising steps.")
    var steps = 25
    @Option(help: "Classifier-free guidance scale.")
    var guidance = 5.0

    /// The settings, after the range check.
    func settings() throws -> SamplingSettings {
        guard (1...1000).contains(steps) else { throw InputError("--steps must be in 1...1000, got \(steps)") }
        var sampling = SamplingSettings()
        sampling.steps = steps
        sampling.guidanceScale = guidance
        return sampling
    }
}
