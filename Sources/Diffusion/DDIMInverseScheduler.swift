/// DDIM inversion (clean → noise), matching diffusers' `DDIMInverseScheduler` with η = 0: the DDIM update run
/// forwards in time, x_{t'} = √ᾱ_{t'}·x̂₀ + √(1−ᾱ_{t'})·ε̂ with x̂₀, ε̂ evaluated at the lower timestep.
public struct DDIMInverseScheduler: Sendable {
    public let schedule: NoiseSchedule
    /// `leading` (i·⌊T/n⌋ + offset) or `trailing` (the sampler's trailing timesteps, ascending), as diffusers'
    /// inverse scheduler has them; `linspace`, which it does not have, inverts on the leading grid.
    public let spacing: DDIMScheduler.Spacing
    public let stepsOffset: Int
    public let prediction: DDIMScheduler.Prediction
    /// ᾱ before the first step: 1 with `set_alpha_to_one`, else ᾱ_0.
    public let initialAlphaCumprod: Float
    public private(set) var inferenceSteps = 0
    /// Ascending timesteps: the model is evaluated at `timesteps[i]`; with leading or trailing spacing they are the
    /// sampler's in reverse order, so an edit denoises back through the inversion's own timesteps.
    public private(set) var timesteps: [Int] = []

    public init(schedule: NoiseSchedule = NoiseSchedule(), spacing: DDIMScheduler.Spacing = .leading, stepsOffset: Int = 1,
                prediction: DDIMScheduler.Prediction = .epsilon, setAlphaToOne: Bool = false) {
        self.schedule = schedule
        self.spacing = spacing
        self.stepsOffset = stepsOffset
        self.prediction = prediction
        initialAlphaCumprod = setAlphaToOne ? 1 : schedule.alphasCumprod[0]
    }

    public mutating func setTimesteps(_ n: Int) {
        precondition(n > 0 && n <= schedule.trainTimesteps, "DDIM inversion: \(n) steps")
        inferenceSteps = n
        timesteps = Self.timesteps(n, trainTimesteps: schedule.trainTimesteps, spacing: spacing, offset: stepsOffset)
    }

    /// The ascending inversion timesteps for `n` steps (diffusers' `DDIMInverseScheduler.set_timesteps`).
    static func timesteps(_ n: Int, trainTimesteps t: Int, spacing: DDIMScheduler.Spacing, offset: Int) -> [Int] {
        switch spacing {
        case .trailing: return DDIMScheduler.timesteps(n, trainTimesteps: t, spacing: .trailing, offset: offset).reversed()
        case .leading, .linspace: return (0..<n).map { $0 * (t / n) + offset }
        }
    }

    /// One inversion step to timestep `t` (diffusers' `step(model_output, t, sample)`): the current sample sits at
    /// s = min(t − ⌊T/n⌋, T − 1) (ᾱ_s = initial value when s < 0); returns x_t.
    public func step(modelOutput: [Float], timestep t: Int, sample: [Float]) -> [Float] {
        let s = min(t - schedule.trainTimesteps / inferenceSteps, schedule.trainTimesteps - 1)
        let aS = s >= 0 ? schedule.alphasCumprod[s] : initialAlphaCumprod
        let aT = schedule.alphasCumprod[t]
        let sa = aS.squareRoot(), sb = (1 - aS).squareRoot()
        let ca = aT.squareRoot(), cb = (1 - aT).squareRoot()
        return (0..<sample.count).map { i in
            let (x0, eps) = prediction.split(modelOutput[i], sample: sample[i], sa: sa, sb: sb)
            return ca * x0 + cb * eps
        }
    }
}
