import Foundation

/// Sinusoidal timestep features, as diffusers' `get_timestep_embedding`:
/// exponent_i = −ln(maxPeriod)·i / (half − shift), e_i = exp(exponent_i), arg = t·e_i,
/// out = [sin(arg), cos(arg)] (or [cos, sin] when `flipSinToCos`), half = dim/2.
/// - timesteps: [N] → [N, dim].
public func timestepEmbedding(_ timesteps: [Float], dim: Int, flipSinToCos: Bool, downscaleFreqShift: Float,
                              maxPeriod: Float = 10000) -> Tensor {
    let half = dim / 2
    var out = Tensor(shape: [timesteps.count, dim])
    for (n, t) in timesteps.enumerated() {
        for i in 0..<half {
            let exponent = -log(maxPeriod) * Float(i) / (Float(half) - downscaleFreqShift)
            let arg = t * exp(exponent)
            let (first, second) = flipSinToCos ? (cos(arg), sin(arg)) : (sin(arg), cos(arg))
            out.scalars[n * dim + i] = first
            out.scalars[n * dim + half + i] = second
        }
    }
    return out
}
