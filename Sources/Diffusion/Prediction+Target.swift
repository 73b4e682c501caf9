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

    /// x̂₀ from a model output at x_t (the inverse of `target` for x₀; `DDIMScheduler.predictions` without clipping).
    public func x0(modelOutput m: Tensor, sample x: Tensor, alphaCumprod a: Float) -> Tensor {
        switch self {
        case .epsilon: return (x - m * (1 - a).squareRoot()) * (1 / a.squareRoot())
        case .vPrediction: return x * a.squareRoot() - m * (1 - a).squareRoot()
        case .sample: return m
        }
    }
}
