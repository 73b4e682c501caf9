import Foundation

/// Learning-rate multipliers by step, as diffusers' schedules (`diffusers.optimization`) applied through
/// PyTorch's `LambdaLR`: the update after `step` completed updates (0 for the first) uses base·multiplier(step).
///
/// - constant: 1.
/// - linearWarmup(w): min(1, step / w) (`get_constant_schedule_with_warmup`; the first update has rate 0).
/// - cosine(w, total, cycles): step / w during warm-up, then max(0, ½·(1 + cos(π·2·cycles·progress))) with
///   progress = (step − w) / (total − w) (`get_cosine_schedule_with_warmup`, cycles ½ by default: one half-cosine
///   from 1 down to 0 at `total`).
public enum LRSchedule: Codable, Sendable, Equatable {
    case constant
    case linearWarmup(warmupSteps: Int)
    case cosine(warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5)

    public func multiplier(step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .linearWarmup(let w):
            return step < w ? Double(step) / Double(max(1, w)) : 1
        case .cosine(let w, let total, let cycles):
            if step < w { return Double(step) / Double(max(1, w)) }
            let progress = Double(step - w) / Double(max(1, total - w))
            return max(0, 0.5 * (1 + cos(Double.pi * cycles * 2 * progress)))
        }
    }
}
