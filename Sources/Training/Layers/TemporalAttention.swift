import Models
import Tensors

extension Trainable {
    /// Tune-A-Video's temporal attention (`norm_temp`, `attn_temp` in a transformer block), differentiable, as
    /// `Models.TemporalAttention` computes it: attention along the frame axis at each spatial position,
    /// x + attn(norm(x)) on [B·T, F, D]. Created for tuning with a zero `to_out.0` (see `TemporalAttention.fresh`),
    /// so it adds nothing until trained.
    public struct TemporalAttention {
        let norm: LayerNorm
        let attn: CrossAttention

        public init(_ p: ParameterScope, dim: Int, heads: Int) throws {
            norm = try LayerNorm(p["norm_temp"], dim: dim, eps: 1e-5)
            attn = try CrossAttention(p["attn_temp"], queryDim: dim, contextDim: dim, heads: heads)
        }

        /// x: [B·F, T, D] (frames fastest within each clip) → same shape.
        public func callAsFunction(_ x: Variable, frameCount f: Int) -> Variable {
            let (n, t, d) = (x.shape[0], x.shape[1], x.shape[2])
            let b = n / f
            // [B, F, T, D] → [B, T, F, D] → [B·T, F, D]
            let seq = x.reshaped([b, f, t, d]).permuted([0, 2, 1, 3]).reshaped([b * t, f, d])
            let normed = norm(seq)
            let out = seq + attn(normed, context: normed)
            return out.reshaped([b, t, f, d]).permuted([0, 2, 1, 3]).reshaped([n, t, d])
        }

        /// Fresh weights for the temporal attention of the transformer block at `prefix` (width `dim`), keyed like a
        /// checkpoint: `norm_temp` identity, `attn_temp.to_q/k/v` uniform in ±1/√dim (PyTorch's default, each key
        /// its own seeded stream), `attn_temp.to_out.0` weight and bias zero.
        public static func fresh(prefix: String, dim: Int, seed: UInt64) -> [String: Tensor] {
            var w: [String: Tensor] = [
                prefix + ".norm_temp.weight": Tensor(shape: [dim], repeating: 1),
                prefix + ".norm_temp.bias": Tensor(shape: [dim]),
                prefix + ".attn_temp.to_out.0.weight": Tensor(shape: [dim, dim]),
                prefix + ".attn_temp.to_out.0.bias": Tensor(shape: [dim]),
            ]
            for proj in ["to_q", "to_k", "to_v"] {
                let key = "\(prefix).attn_temp.\(proj).weight"
                var rng = TrainingRandom(seed: seed, key: key)
                w[key] = rng.uniform([dim, dim], bound: 1 / Float(dim).squareRoot())
            }
            return w
        }
    }
}

extension ParameterScope {
    /// Whether the checkpoint holds `prefix.name` (a tensor or any tensor below it): optional modules such as
    /// temporal attention are built only when their weights are there (never for fresh initialisation).
    public func has(_ name: String) -> Bool {
        switch source {
        case .checkpoint(let weights): return weights.hasTensors(under: self[name].prefix)
        case .initialize: return false
        }
    }
}
