import ArgumentParser
import StableDiffusion

/// The adaptive projected guidance flags shared by the commands that sample (`spf generate`, `spf eval`,
/// `spf world quality`); their defaults are plain classifier-free guidance.
struct ProjectedGuidanceOptions: ParsableArguments {
    @Option(name: .customLong("apg-eta"),
            help: "Adaptive projected guidance: weight of the guidance update's part parallel to the text prediction, 0...1 (1: plain guidance).")
    var eta = 1.0
    // Unconditional: the recommended values are negative, and "-0.5" would otherwise be read as a flag.
    @Option(name: .customLong("apg-momentum"), parsing: .unconditional,
            help: "Adaptive projected guidance: momentum of the update's running average over the steps, in (-1, 1) (the paper uses -0.5 to -0.75; 0: off).")
    var momentum = 0.0
    @Option(name: .customLong("apg-norm-threshold"),
            help: "Adaptive projected guidance: cap on the update's L2 norm per image latent (diffusers' adaptive_projected_guidance_rescale; 0: no cap).")
    var normThreshold = 0.0

    private var value: AdaptiveProjectedGuidance {
        AdaptiveProjectedGuidance(eta: eta, momentum: momentum, normThreshold: normThreshold)
    }

    /// The settings after the range checks, with the error naming the flag at fault.
    func settings() throws -> AdaptiveProjectedGuidance {
        do {
            try value.validate(names: ("--apg-eta", "--apg-momentum", "--apg-norm-threshold"))
        } catch {
            throw ValidationError("\(error)")
        }
        return value
    }

    /// For the PNG text chunk: empty for plain guidance.
    var description: String {
        value.isPlainGuidance ? "" : "eta=\(eta), momentum=\(momentum), norm_threshold=\(normThreshold)"
    }
}
