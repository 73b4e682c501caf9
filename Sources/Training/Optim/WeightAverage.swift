import Tensors

/// An exponential moving average of the trained parameters (the "EMA weights" diffusion models are sampled with;
/// diffusers' `EMAModel` with `use_ema_warmup` off and `update_after_step` 0).
///
/// After optimizer update n (n = 1, 2, ...), with the configured decay d:
///
///     decay_n = 0                      for n = 1   (the average starts as the parameters)
///     decay_n = min(d, n / (9 + n))    otherwise   (diffusers: (1 + s) / (10 + s), s = n − 1)
///     avg ← avg − (1 − decay_n)·(avg − p)          (diffusers' in-place update, per element)
///
/// The short warm-up keeps the first steps' random initialisation from lingering in the average.
public struct WeightAverage: Equatable, Sendable {
    public let decay: Double
    /// The averaged value of each parameter, by key.
    public private(set) var values: [String: Tensor]

    public init(decay: Double, values: [String: Tensor] = [:]) {
        precondition(decay >= 0 && decay < 1, "WeightAverage: decay must be in [0, 1), got \(decay)")
        self.decay = decay
        self.values = values
    }

    /// decay_n of update `n` (counted from 1).
    public func decay(atUpdate n: Int) -> Double {
        n <= 1 ? 0 : min(decay, Double(n) / Double(9 + n))
    }

    /// Folds the parameters' current values in as update `n`. A parameter without an average yet (a fresh run, or
    /// a checkpoint from before averaging was on) starts from its current value.
    public mutating func update(_ parameters: [(key: String, variable: Variable)], atUpdate n: Int) {
        let w = Float(1 - decay(atUpdate: n))
        for (key, variable) in parameters {
            let p = variable.value
            guard var avg = values[key], avg.shape == p.shape else { values[key] = p; continue }
            values[key] = nil  // unique ownership: the average updates in place
            avg.scalars.withUnsafeMutableBufferPointer { a in
                p.scalars.withUnsafeBufferPointer { q in
                    for i in 0..<a.count { a[i] -= w * (a[i] - q[i]) }
                }
            }
            values[key] = avg
        }
    }
}
