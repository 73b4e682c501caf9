import Tensors

extension DDIMScheduler.Prediction {
    /// The training target for x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε (on a ContextDiff trajectory: x_t less its shift k_t·r,
    /// which is what `ContextualTrajectory` hands the sampler): ε, v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ (Salimans & Ho 2022,
    /// diffusers' `get_velocity`), or x₀. `DDIMScheduler.predictions` inverts it exactly.
    /// - noise, x0: the same shape → that shape.
    public func target(noise: Tensor, x0: Tensor, alphaCumprod a: Float) -> Tensor {
        switch self {
        case .epsilon: return noise
        case .vPrediction: return noise * a.squareRoot() - x0 * (1 - a).squareRoot()
        case .sample: return x0
        }
    }

    /// x̂₀ and ε̂ from one model output m at sample x, with sa = √ᾱ_t and sb = √(1−ᾱ_t): the one place the three
    /// parameterisations are undone (the samplers and `x0` use it).
    /// - epsilon: x̂₀ = (x − sb·ε̂)/sa; v: x̂₀ = sa·x − sb·v, ε̂ = sa·v + sb·x; sample: ε̂ = (x − sa·x̂₀)/sb.
    @inline(__always)
    public func split(_ m: Float, sample x: Float, sa: Float, sb: Float) -> (x0: Float, eps: Float) {
        switch self {
        case .epsilon: return ((x - sb * m) / sa, m)
        case .vPrediction: return (sa * x - sb * m, sa * m + sb * x)
        case .sample: return (m, (x - sa * m) / sb)
        }
    }

    /// x̂₀ from a model output at x_t (the inverse of `target` for x₀; `DDIMScheduler.predictions` without clipping).
    /// - modelOutput, sample: the same shape → that shape.
    public func x0(modelOutput: Tensor, sample: Tensor, alphaCumprod a: Float) -> Tensor {
        let (sa, sb) = (a.squareRoot(), (1 - a).squareRoot())
        return Tensor(shape: sample.shape, scalars: zip(modelOutput.scalars, sample.scalars).map { split($0, sample: $1, sa: sa, sb: sb).x0 })
    }
}
