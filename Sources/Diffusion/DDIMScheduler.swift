import Foundation

/// DDIM sampling with η = 0 (Song et al. 2021, eq. 12), matching diffusers' `DDIMScheduler`.
/// A value type that knows nothing of models: `timesteps`, then `step` per model evaluation.
///
/// Notation: ᾱ_t = `alphaProdT`, ᾱ_s = `alphaProdPrev` (s = t − T/n, ᾱ_s = `finalAlphaCumprod` when s < 0),
/// ε̂ = predicted noise, x̂₀ = predicted clean sample.
public struct DDIMScheduler: Sendable {
    public enum Spacing: String, Codable, Sendable { case leading, trailing, linspace }
    public enum Prediction: String, Codable, Sendable {
        case epsilon
        case vPrediction = "v_prediction"
        case sample
    }

    public let schedule: NoiseSchedule
    public let spacing: Spacing
    public let stepsOffset: Int
    public let prediction: Prediction
    /// ᾱ used past the last step: 1 with `set_alpha_to_one`, else ᾱ_0.
    public let finalAlphaCumprod: Float
    public let clipSample: Bool
    public let clipSampleRange: Float
    public private(set) var inferenceSteps = 0
    /// Descending timesteps of the sampling loop.
    public private(set) var timesteps: [Int] = []

    public init(schedule: NoiseSchedule = NoiseSchedule(), spacing: Spacing = .leading, stepsOffset: Int = 1,
                prediction: Prediction = .epsilon, setAlphaToOne: Bool = false, clipSample: Bool = false,
                clipSampleRange: Float = 1) {
        self.schedule = schedule
        self.spacing = spacing
        self.stepsOffset = stepsOffset
        self.prediction = prediction
        self.finalAlphaCumprod = setAlphaToOne ? 1 : schedule.alphasCumprod[0]
        self.clipSample = clipSample
        self.clipSampleRange = clipSampleRange
    }

    /// diffusers' `set_timesteps`: leading (i·⌊T/n⌋ + offset), trailing (round(T − i·T/n) − 1) or linspace
    /// (round of n points in [0, T−1]), descending.
    public mutating func setTimesteps(_ n: Int) {
        precondition(n > 0 && n <= schedule.trainTimesteps, "DDIM: \(n) steps for \(schedule.trainTimesteps) training steps")
        inferenceSteps = n
        timesteps = Self.timesteps(n, trainTimesteps: schedule.trainTimesteps, spacing: spacing, offset: stepsOffset)
    }

    static func timesteps(_ n: Int, trainTimesteps t: Int, spacing: Spacing, offset: Int) -> [Int] {
        switch spacing {
        case .leading:
            let ratio = t / n
            return (0..<n).map { $0 * ratio + offset }.reversed()
        case .trailing:
            let ratio = Double(t) / Double(n)
            return stride(from: Double(t), to: 0, by: -ratio).map { Int(($0).rounded(.toNearestOrEven)) - 1 }
        case .linspace:
            guard n > 1 else { return [0] }
            return (0..<n).map { i in Int((Double(t - 1) * Double(i) / Double(n - 1)).rounded(.toNearestOrEven)) }.reversed()
        }
    }

    /// ᾱ at timestep `t`, or the final value for t < 0.
    public func alphaCumprod(_ t: Int) -> Float { t >= 0 ? schedule.alphasCumprod[t] : finalAlphaCumprod }

    /// The timestep reached from `t` by one step (diffusers: t − ⌊T/n⌋).
    public func previousTimestep(_ t: Int) -> Int { t - schedule.trainTimesteps / inferenceSteps }

    /// x̂₀ and ε̂ from the model output at `t`, per the prediction type (`Prediction.split`), x̂₀ clipped if set.
    public func predictions(modelOutput: [Float], timestep t: Int, sample: [Float]) -> (x0: [Float], eps: [Float]) {
        let a = alphaCumprod(t), sa = a.squareRoot(), sb = (1 - a).squareRoot()
        var x0 = [Float](repeating: 0, count: sample.count), eps = x0
        for i in 0..<sample.count {
            (x0[i], eps[i]) = prediction.split(modelOutput[i], sample: sample[i], sa: sa, sb: sb)
            if clipSample { x0[i] = min(max(x0[i], -clipSampleRange), clipSampleRange) }
        }
        return (x0, eps)
    }

    /// One DDIM step t → s (η = 0): x_s = √ᾱ_s·x̂₀ + √(1−ᾱ_s)·ε̂. Matches `DDIMScheduler.step(...).prev_sample`.
    public func step(modelOutput: [Float], timestep t: Int, sample: [Float]) -> [Float] {
        let (x0, eps) = predictions(modelOutput: modelOutput, timestep: t, sample: sample)
        let aPrev = alphaCumprod(previousTimestep(t))
        let ca = aPrev.squareRoot(), cb = (1 - aPrev).squareRoot()
        return (0..<sample.count).map { ca * x0[$0] + cb * eps[$0] }
    }
}
