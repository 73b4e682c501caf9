import Foundation

/// The training noise schedule shared by DDIM sampling and inversion (diffusers' `scheduler/scheduler_config.json`).
///
/// Notation: β_t = `betas[t]`, ᾱ_t = `alphasCumprod[t]` = Π_{i≤t}(1 − β_i), T = `trainTimesteps`.
public struct NoiseSchedule: Sendable, Equatable {
    public enum BetaSchedule: String, Codable, Sendable {
        /// β linear in t.
        case linear
        /// √β linear in t (Stable Diffusion).
        case scaledLinear = "scaled_linear"
        /// Glide cosine schedule, β_t = 1 − ᾱ(t+1)/ᾱ(t) capped at 0.999.
        case squaredcosCapV2 = "squaredcos_cap_v2"
    }

    public let trainTimesteps: Int
    public let betas: [Float]
    public let alphasCumprod: [Float]

    /// Computed as torch does: `torch.linspace(..., dtype=float32)` (within 2 ulp: torch's vectorised kernel rounds
    /// some elements differently), ᾱ by `torch.cumprod` (double accumulation, float32 results).
    public init(trainTimesteps: Int = 1000, betaStart: Double = 0.00085, betaEnd: Double = 0.012,
                schedule: BetaSchedule = .scaledLinear) {
        let n = trainTimesteps
        var betas = [Float](repeating: 0, count: n)
        switch schedule {
        case .linear:
            betas = Self.linspace(Float(betaStart), Float(betaEnd), n)
        case .scaledLinear:
            // Python computes beta**0.5 in double, torch casts to float32.
            betas = Self.linspace(Float(betaStart.squareRoot()), Float(betaEnd.squareRoot()), n).map { $0 * $0 }
        case .squaredcosCapV2:
            func alphaBar(_ t: Double) -> Double { pow(cos((t + 0.008) / 1.008 * Double.pi / 2), 2) }
            for i in 0..<n {
                betas[i] = Float(min(1 - alphaBar(Double(i + 1) / Double(n)) / alphaBar(Double(i) / Double(n)), 0.999))
            }
        }
        // torch.cumprod on float32 accumulates in double (ATen's acc_type) and rounds each output.
        var cumulative = 1.0
        self.trainTimesteps = n
        self.betas = betas
        self.alphasCumprod = betas.map { b in cumulative *= Double(1 - b); return Float(cumulative) }
    }

    /// torch.linspace in float32: start + i·step for the first half, end − (n−1−i)·step for the second.
    static func linspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
        guard n > 1 else { return [start] }
        let step = (end - start) / Float(n - 1)
        let half = n / 2
        return (0..<n).map { i in i < half ? start + step * Float(i) : end - step * Float(n - 1 - i) }
    }
}
