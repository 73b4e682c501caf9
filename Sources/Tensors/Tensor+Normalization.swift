import CKernels
import Foundation

/// Normalisation layers as PyTorch computes them (biased variance, eps inside the square root).
extension Tensor {
    /// `nn.GroupNorm`: x: [N, C, ...] with C divisible by `groups`; gamma, beta: [C].
    /// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c, statistics over each group's channels and positions.
    public func groupNorm(groups: Int, gamma: Tensor?, beta: Tensor?, eps: Float = 1e-5, thenSiLU: Bool = false) -> Tensor {
        let n = shape[0], c = shape[1]
        precondition(c % groups == 0, "groupNorm: \(c) channels not divisible into \(groups) groups")
        let inner = count / (n * c), perGroup = c / groups, groupSize = perGroup * inner
        let src = scalars
        let g = gamma?.scalars, b = beta?.scalars
        return Tensor(shape: shape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { sp in
                let x = sp.baseAddress!
                parallelChunks(n * groups) { range in
                    for ng in range {
                        let base = ng * groupSize
                        var m: Float = 0, variance: Float = 0
                        ck_moments(x + base, groupSize, &m, &variance)
                        let rstd = 1 / (variance + eps).squareRoot()
                        for cc in 0..<perGroup {
                            let ch = (ng % groups) * perGroup + cc
                            let scale = (g?[ch] ?? 1) * rstd, shift = (b?[ch] ?? 0) - m * scale
                            let off = base + cc * inner
                            ck_affine(x + off, dst.base + off, inner, scale, shift, thenSiLU ? 1 : 0)
                        }
                    }
                }
            }
        }
    }

    /// `nn.LayerNorm` over the last axis: x: [..., D]; gamma, beta: [D].
    public func layerNorm(gamma: Tensor?, beta: Tensor?, eps: Float = 1e-5) -> Tensor {
        let d = shape.last!, rows = count / max(d, 1)
        let src = scalars
        let g = gamma?.scalars, b = beta?.scalars
        return Tensor(shape: shape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { sp in
                let x = sp.baseAddress!
                parallelChunks(rows, minimumPerChunk: 16) { range in
                    for r in range {
                        let base = r * d
                        var mean: Float = 0, variance: Float = 0
                        ck_moments(x + base, d, &mean, &variance)
                        let rstd = 1 / (variance + eps).squareRoot()
                        g.withUnsafeBufferPointerIfPresent { gp in
                            b.withUnsafeBufferPointerIfPresent { bp in
                                ck_normalize(x + base, dst.base + base, d, mean, rstd, gp, bp)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Softmax over the last axis (max-subtracted for stability).
    public func softmax() -> Tensor {
        let d = shape.last!
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { p in
            Tensor.softmaxRows(SharedPointer(base: p.baseAddress!), rows: count / max(d, 1), width: d)
        }
        return out
    }

    /// In-place row softmax of a [rows, width] block.
    static func softmaxRows(_ p: SharedPointer, rows: Int, width: Int, scale: Float = 1) {
        parallelChunks(rows, minimumPerChunk: max(1, 8192 / max(width, 1))) { range in
            for r in range {
                let row = p.base + r * width
                var m = -Float.infinity
                for i in 0..<width { m = max(m, row[i]) }
                var sum: Float = 0
                for i in 0..<width { let e = exp((row[i] - m) * scale); row[i] = e; sum += e }
                let inv = 1 / sum
                for i in 0..<width { row[i] *= inv }
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's base address, or nil for nil (for C kernels taking optional pointers).
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
