/// Builds a sampler from a diffusers class name ("DDIMScheduler", ...) or a short name
/// ("ddim", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddpm").
/// Short DPM-Solver names fix what they name (DPM-Solver++, order 2, Karras sigmas or not).
public func makeScheduler(name: String, config: SchedulerConfig = SchedulerConfig()) throws -> any Scheduler {
    switch name {
    case "DDPMScheduler", "ddpm":
        return try DDPMScheduler(config: config)
    case "DDIMScheduler", "ddim":
        return try DDIMScheduler(config: config)
    case "EulerDiscreteScheduler", "euler":
        return try EulerDiscreteScheduler(config: config)
    case "EulerAncestralDiscreteScheduler", "euler_a":
        return try EulerAncestralDiscreteScheduler(config: config)
    case "DPMSolverMultistepScheduler":
        return try DPMSolverMultistepScheduler(config: config)
    case "dpmpp_2m", "dpmpp_2m_karras":
        var config = config
        config.algorithmType = "dpmsolver++"
        config.solverOrder = 2
        config.useKarrasSigmas = name == "dpmpp_2m_karras"
        return try DPMSolverMultistepScheduler(config: config)
    default:
        throw SchedulerError.unknownScheduler(name, valid: schedulerNames)
    }
}

/// Every name `makeScheduler(name:config:)` accepts.
public let schedulerNames = [
    "DDPMScheduler", "DDIMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
    "DPMSolverMultistepScheduler", "ddpm", "ddim", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras",
]
