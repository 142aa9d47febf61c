import Foundation

/// The learning rate at each optimizer step, as diffusers' `get_scheduler` (transformers' LambdaLR
/// schedules): a linear warm-up from 0 over `warmupSteps`, then constant, linear decay to 0, or a half
/// cosine to 0 at `totalSteps`. Step 0 is the first optimizer step, so with warm-up it runs at lr 0, as
/// diffusers' does. A pure function of the step: resuming needs no scheduler state.
public struct LearningRateSchedule: Equatable, Sendable {
    public var kind: LearningRateScheduleKind
    public var baseRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(kind: LearningRateScheduleKind, baseRate: Double, warmupSteps: Int, totalSteps: Int) {
        self.kind = kind
        self.baseRate = baseRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func rate(at step: Int) -> Double { baseRate * multiplier(at: step) }

    func multiplier(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let decaySteps = Double(max(1, totalSteps - warmupSteps))
        let progress = Double(step - warmupSteps) / decaySteps
        switch kind {
        case .constant:
            return 1
        case .linear:
            return max(0, Double(totalSteps - step) / decaySteps)
        case .cosine:
            return max(0, 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
