/// What went wrong building or running a scheduler; every case names the offending value.
public enum SchedulerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A scheduler name that `makeScheduler(name:config:)` does not know.
    case unknownScheduler(String, valid: [String])
    /// A configuration value this scheduler does not implement (key, value, what it accepts).
    case unsupported(key: String, value: String, scheduler: String, supported: [String])
    /// `step` or `scaleModelInput` before `setTimesteps`.
    case timestepsNotSet(scheduler: String)
    /// A step count outside 1...num_train_timesteps.
    case invalidStepCount(Int, trainTimesteps: Int)
    /// A timestep that is not one of the scheduler's (or outside the training range).
    case invalidTimestep(Double, scheduler: String)
    /// Stepping past the last timestep of the schedule.
    case scheduleFinished(scheduler: String, steps: Int)
    /// Inputs of the wrong shape or count (e.g. timesteps per batch element).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .unknownScheduler(name, valid):
            "unknown scheduler '\(name)'; valid names: \(valid.joined(separator: ", "))"
        case let .unsupported(key, value, scheduler, supported):
            "\(scheduler) does not support \(key) '\(value)'; supported: \(supported.joined(separator: ", "))"
        case let .timestepsNotSet(scheduler):
            "\(scheduler): call setTimesteps(_:) before stepping"
        case let .invalidStepCount(count, train):
            "num_inference_steps \(count) must be between 1 and num_train_timesteps (\(train))"
        case let .invalidTimestep(t, scheduler):
            "\(scheduler): timestep \(t) is not in the schedule"
        case let .scheduleFinished(scheduler, steps):
            "\(scheduler): all \(steps) steps have been taken; call setTimesteps(_:) or reset() to start again"
        case let .invalidInput(message):
            message
        }
    }
}
