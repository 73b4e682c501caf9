import Models
import Tensors

/// Something that gives the forward-process shift r̂ for a latent estimate: the learned `TrajectoryAdapter`, or a
/// fixed tensor in tests.
public protocol TrajectoryShift {
    /// x0: [N, C, h, w] latent estimate at timestep t, context: [N, S, D] → r̂: [N, C, h, w].
    func shift(x0: Tensor, context: Tensor, timestep: Int, frameCount: Int) -> Tensor
}

extension TrajectoryAdapter: TrajectoryShift {
    public func shift(x0: Tensor, context: Tensor, timestep: Int, frameCount: Int) -> Tensor {
        self(x0, context: context, timestep: Float(timestep), frameCount: frameCount)
    }
}

/// ContextDiff's contextualized DDIM trajectory (Yang et al. 2024, eq. 6–9 with η = 0). The forward marginal is
/// x_t = √ᾱ_t·x₀ + k_t·r + √(1−ᾱ_t)·ε, so one DDIM step on the shifted trajectory is: remove the shift at t,
/// take the plain DDIM step, add the shift at s:
///
///     x̃₀ = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t                 (unshifted estimate, fed to the adapter)
///     r̂  = r_φ(x̃₀, c, t)                           (optionally re-estimated from x̂₀ `refinements − 1` times)
///     x̂₀ = (x_t − k_t·r̂ − √(1−ᾱ_t)·ε̂)/√ᾱ_t
///     x_s = √ᾱ_s·x̂₀ + k_s·r̂ + √(1−ᾱ_s)·ε̂
///
/// Inversion s → t solves the same relation the other way with r̂ from the source latents x₀ (known while
/// inverting): x_t = √ᾱ_t·x̂₀ + k_t·r̂ + √(1−ᾱ_t)·ε̂, x̂₀ = (x_s − k_s·r̂ − √(1−ᾱ_s)·ε̂)/√ᾱ_s.
/// With r̂ ≡ 0 both are exactly diffusers' DDIM steps. Notation: k_t = `shift.k(ᾱ_t)`, k = 0 where ᾱ = 1.
public struct ContextualTrajectory {
    public var sampler: DDIMScheduler
    public var inverse: DDIMInverseScheduler
    public let shiftSchedule: AdapterConfig.ShiftSchedule
    public let refinements: Int

    public init(sampler: DDIMScheduler, inverse: DDIMInverseScheduler,
                shiftSchedule: AdapterConfig.ShiftSchedule = .quadratic, refinements: Int = 1) {
        self.sampler = sampler
        self.inverse = inverse
        self.shiftSchedule = shiftSchedule
        self.refinements = refinements
    }

    public mutating func setTimesteps(_ n: Int) {
        sampler.setTimesteps(n)
        inverse.setTimesteps(n)
    }

    /// k_t; zero where ᾱ = 1 (before the first / after the last step with `set_alpha_to_one`).
    public func k(_ alphaCumprod: Float) -> Float { shiftSchedule.k(alphaCumprod: alphaCumprod) }

    /// One reverse step t → s. `shift` nil is plain DDIM. With `shiftFrom` (editing: the source clip's latents),
    /// r̂ = r_φ(shiftFrom, c, t) instead of r_φ(x̃₀, c, t) from the step's own estimate.
    /// - sample, modelOutput, shiftFrom: [N, C, h, w]; context for the adapter: [N, S, D].
    public func step(modelOutput: Tensor, timestep t: Int, sample: Tensor, shift: TrajectoryShift?,
                     context: Tensor, frameCount: Int, shiftFrom: Tensor? = nil) -> Tensor {
        guard let shift else {
            return Tensor(shape: sample.shape, scalars: sampler.step(modelOutput: modelOutput.scalars, timestep: t, sample: sample.scalars))
        }
        let kt = k(sampler.alphaCumprod(t)), ks = k(sampler.alphaCumprod(sampler.previousTimestep(t)))
        var r = Tensor(shape: sample.shape)
        if let shiftFrom {
            r = shift.shift(x0: shiftFrom, context: context, timestep: t, frameCount: frameCount)
        } else {
            var estimate = Tensor(shape: sample.shape,
                                  scalars: sampler.predictions(modelOutput: modelOutput.scalars, timestep: t, sample: sample.scalars).x0)
            for _ in 0..<refinements {
                r = shift.shift(x0: estimate, context: context, timestep: t, frameCount: frameCount)
                estimate = Tensor(shape: sample.shape, scalars: sampler.predictions(
                    modelOutput: modelOutput.scalars, timestep: t, sample: (sample - r * kt).scalars).x0)
            }
        }
        let unshifted = sampler.step(modelOutput: modelOutput.scalars, timestep: t, sample: (sample - r * kt).scalars)
        return Tensor(shape: sample.shape, scalars: unshifted) + r * ks
    }

    /// One inversion step to timestep `t`, with r̂ = r_φ(x₀ of the source, c_source, t).
    public func invertStep(modelOutput: Tensor, timestep t: Int, sample: Tensor, shift: TrajectoryShift?,
                           source x0: Tensor, context: Tensor, frameCount: Int) -> Tensor {
        let plain = { (s: Tensor) in
            Tensor(shape: s.shape, scalars: self.inverse.step(modelOutput: modelOutput.scalars, timestep: t, sample: s.scalars))
        }
        guard let shift else { return plain(sample) }
        let stepBack = min(t - inverse.schedule.trainTimesteps / inverse.inferenceSteps, inverse.schedule.trainTimesteps - 1)
        let aS = stepBack >= 0 ? inverse.schedule.alphasCumprod[stepBack] : inverse.initialAlphaCumprod
        let ks = k(aS), kt = k(inverse.schedule.alphasCumprod[t])
        let r = shift.shift(x0: x0, context: context, timestep: t, frameCount: frameCount)
        return plain(sample - r * ks) + r * kt
    }

    /// The forward marginal x_t = √ᾱ_t·x₀ + k_t·r + √(1−ᾱ_t)·ε (used by training and the text-to-image start).
    public func noised(_ x0: Tensor, shift r: Tensor?, noise: Tensor, timestep t: Int) -> Tensor {
        let a = sampler.schedule.alphasCumprod[t]
        var x = x0 * a.squareRoot() + noise * (1 - a).squareRoot()
        if let r { x = x + r * k(a) }
        return x
    }
}
