/// The inference timesteps each diffusers scheduler picks for `timestep_spacing`, with its own
/// integer/float conventions (replayed through `NumPyMirror`, so they are exactly diffusers').
enum InferenceTimesteps {
    /// DDPMScheduler / DDIMScheduler: int64.
    static func discrete(_ config: SchedulerConfig, spacing: TimestepSpacing, count: Int) -> [Int] {
        let n = config.numTrainTimesteps
        switch spacing {
        case .linspace:
            return NumPyMirror.linspace(0, Double(n - 1), count).map { Int(NumPyMirror.round($0)) }.reversed()
        case .leading:
            let ratio = n / count
            return (0..<count).reversed().map { $0 * ratio + config.stepsOffset }
        case .trailing:
            let ratio = Double(n) / Double(count)
            return NumPyMirror.arange(Double(n), 0, -ratio).map { Int(NumPyMirror.round($0)) - 1 }
        }
    }

    /// Euler schedulers: float32.
    static func continuous(_ config: SchedulerConfig, spacing: TimestepSpacing, count: Int) -> [Float] {
        let n = config.numTrainTimesteps
        switch spacing {
        case .linspace:
            return NumPyMirror.linspace(0, Double(n - 1), count).map { Float($0) }.reversed()
        case .leading:
            let ratio = n / count
            return (0..<count).reversed().map { Float($0 * ratio) + Float(config.stepsOffset) }
        case .trailing:
            let ratio = Double(n) / Double(count)
            return NumPyMirror.arange(Double(n), 0, -ratio).map { Float(NumPyMirror.round($0)) - 1 }
        }
    }

    /// DPMSolverMultistepScheduler: int64, over the first `lastTimestep` training steps, with one extra
    /// step dropped from linspace/leading.
    static func multistep(_ config: SchedulerConfig, spacing: TimestepSpacing, count: Int, lastTimestep: Int) -> [Int] {
        switch spacing {
        case .linspace:
            return Array(NumPyMirror.linspace(0, Double(lastTimestep - 1), count + 1)
                .map { Int(NumPyMirror.round($0)) }.reversed().dropLast())
        case .leading:
            let ratio = lastTimestep / (count + 1)
            return Array((0...count).reversed().map { $0 * ratio }.dropLast()).map { $0 + config.stepsOffset }
        case .trailing:
            let ratio = Double(config.numTrainTimesteps) / Double(count)
            return NumPyMirror.arange(Double(lastTimestep), 0, -ratio).map { Int(NumPyMirror.round($0)) - 1 }
        }
    }
}
