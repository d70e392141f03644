// LearningRateSchedule: the learning rate as a function of the step.
import Foundation

/// A learning-rate schedule.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The same rate at every step.
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `minimum` at `totalSteps`.
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float)

    /// The rate for step `step` (0-based).
    public func rate(at step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case let .warmupCosine(peak, warmup, total, minimum):
            if step < warmup { return peak * Float(step + 1) / Float(warmup) }
            if step >= total { return minimum }
            let progress = Double(step - warmup) / Double(max(total - warmup, 1))
            return minimum + (peak - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
