import Foundation
import Tensors

/// Group and layer normalisation. Over each normalised set of M values (a group's channels × positions, or a
/// row), with x̂ = (x − μ)·r, r = 1/√(σ² + eps), y = x̂·γ + β and dŷ = ∂loss/∂y (times SiLU′(y) when fused):
///   ∂γ = Σ dŷ·x̂,  ∂β = Σ dŷ,  ∂x = r·(dŷγ − mean(dŷγ) − x̂·mean(dŷγ·x̂)).
/// Statistics are recomputed from x in backward (in Double), so only x (and γ, β) are kept.
extension Variable {
    /// `nn.GroupNorm` (+ SiLU when `thenSiLU`). self: [N, C, ...], C divisible by `groups`; gamma, beta: [C].
    public func groupNorm(groups: Int, gamma: Variable?, beta: Variable?, eps: Float = 1e-5,
                          thenSiLU: Bool = false) -> Variable {
        let y = value.groupNorm(groups: groups, gamma: gamma?.value, beta: beta?.value, eps: eps, thenSiLU: thenSiLU)
        let (n, c) = (shape[0], shape[1])
        let layout = NormLayout(sets: n * groups, setsPerSample: groups, channels: c, inner: value.count / Swift.max(n * c, 1))
        return Self.record(y, inputs: [self, gamma, beta]) { needs in
            let x = value, gv = gamma?.value, bv = thenSiLU ? beta?.value : nil
            return { g in
                let grads = layout.backward(g, x: x, gamma: gv, beta: bv, eps: eps, silu: thenSiLU,
                                            needX: needs[0], needAffine: needs[1] || needs[2])
                return [grads.dx, needs[1] ? grads.dGamma : nil, needs[2] ? grads.dBeta : nil]
            }
        }
    }

    /// `nn.LayerNorm` over the last axis. self: [..., D]; gamma, beta: [D].
    public func layerNorm(gamma: Variable?, beta: Variable?, eps: Float = 1e-5) -> Variable {
        let y = value.layerNorm(gamma: gamma?.value, beta: beta?.value, eps: eps)
        let d = shape.last ?? 0
        // A row is one sample of one "group" holding D channels of one position each.
        let layout = NormLayout(sets: value.count / Swift.max(d, 1), setsPerSample: 1, channels: d, inner: 1)
        return Self.record(y, inputs: [self, gamma, beta]) { needs in
            let x = value, gv = gamma?.value
            return { g in
                let grads = layout.backward(g, x: x, gamma: gv, beta: nil, eps: eps, silu: false,
                                            needX: needs[0], needAffine: needs[1] || needs[2])
                return [grads.dx, needs[1] ? grads.dGamma : nil, needs[2] ? grads.dBeta : nil]
            }
        }
    }

    /// Softmax over the last axis. ∂x = y ⊙ (g − Σ_row g ⊙ y).
    public func softmax() -> Variable {
        let y = value.softmax(), d = shape.last ?? 0
        return Self.record(y, inputs: [self]) { _ in
            { g in
                var dx = g
                dx.scalars.withUnsafeMutableBufferPointer { o in
                    y.scalars.withUnsafeBufferPointer { yp in
                        for r in 0..<(yp.count / Swift.max(d, 1)) {
                            var dot: Float = 0
                            for j in 0..<d { dot += o[r * d + j] * yp[r * d + j] }
                            for j in 0..<d { o[r * d + j] = yp[r * d + j] * (o[r * d + j] - dot) }
                        }
                    }
                }
                return [dx]
            }
        }
    }
}

/// Where the normalised sets lie in memory: set s = (sample, group) holds `channels / setsPerSample` channels of
/// `inner` contiguous values each: x viewed as [N, C, inner] with C = setsPerSample · channelsPerSet.
/// Layer norm is the case setsPerSample = 1, inner = 1 over [rows, D].
struct NormLayout {
    let sets, setsPerSample, channels, inner: Int
    var channelsPerSet: Int { channels / setsPerSample }
    var setSize: Int { channelsPerSet * inner }

    /// The channel index of the `cc`-th channel of set `s`.
    func channel(ofSet s: Int, _ cc: Int) -> Int { (s % setsPerSample) * channelsPerSet + cc }

    func backward(_ g: Tensor, x: Tensor, gamma: Tensor?, beta: Tensor?, eps: Float, silu: Bool,
                  needX: Bool, needAffine: Bool) -> (dx: Tensor?, dGamma: Tensor, dBeta: Tensor) {
        let m = setSize
        var mean = [Float](repeating: 0, count: sets), rstd = [Float](repeating: 0, count: sets)
        let chunk = Swift.max(1, 4096 / Swift.max(m, 1))
        // 1. Statistics per set (sets on both cores; each set's sums in the same order as one loop would).
        x.scalars.withUnsafeBufferPointer { xp in
            let xs = xp.baseAddress!
            mean.withUnsafeMutableBufferPointer { mb in rstd.withUnsafeMutableBufferPointer { rb in
                let (mo, ro) = (SharedFloats(base: mb.baseAddress!), SharedFloats(base: rb.baseAddress!))
                parallelChunks(sets, minimumPerChunk: chunk) { range in
                    for s in range {
                        let base = s * m
                        var sum = 0.0
                        for i in 0..<m { sum += Double(xs[base + i]) }
                        let mu = sum / Double(m)
                        var sq = 0.0
                        for i in 0..<m { let t = Double(xs[base + i]) - mu; sq += t * t }
                        mo.base[s] = Float(mu)
                        ro.base[s] = Float(1 / (sq / Double(m) + Double(eps)).squareRoot())
                    }
                }
            } }
        }
        // 2. dŷ: the incoming gradient, through SiLU′ of the recomputed pre-activation when fused.
        var dy = g.scalars
        if silu {
            dy.withUnsafeMutableBufferPointer { d in
                x.scalars.withUnsafeBufferPointer { xp in
                    let (dd, xs) = (SharedFloats(base: d.baseAddress!), xp.baseAddress!)
                    let gammas = gamma?.scalars, betas = beta?.scalars
                    parallelChunks(sets, minimumPerChunk: chunk) { range in
                        for s in range {
                            for cc in 0..<channelsPerSet {
                                let ch = channel(ofSet: s, cc)
                                let gm = gammas?[ch] ?? 1, bt = betas?[ch] ?? 0
                                let base = s * m + cc * inner
                                for i in 0..<inner {
                                    let y = (xs[base + i] - mean[s]) * rstd[s] * gm + bt
                                    dd.base[base + i] *= Activation.siluDerivative(y)
                                }
                            }
                        }
                    }
                }
            }
        }
        // 3. ∂γ, ∂β per channel: each (set, channel)'s sums on both cores, then added per channel in set order.
        var dGamma = [Double](repeating: 0, count: channels), dBeta = [Double](repeating: 0, count: channels)
        if needAffine {
            var partG = [Double](repeating: 0, count: sets * channelsPerSet), partB = partG
            dy.withUnsafeBufferPointer { d in
                x.scalars.withUnsafeBufferPointer { xp in
                    partG.withUnsafeMutableBufferPointer { pg in partB.withUnsafeMutableBufferPointer { pb in
                        let (dp, xs) = (d.baseAddress!, xp.baseAddress!)
                        let (og, ob) = (SharedBuffer(base: pg.baseAddress!), SharedBuffer(base: pb.baseAddress!))
                        parallelChunks(sets, minimumPerChunk: chunk) { range in
                            for s in range {
                                for cc in 0..<channelsPerSet {
                                    let base = s * m + cc * inner
                                    var sg = 0.0, sb = 0.0
                                    for i in 0..<inner {
                                        let xhat = (xs[base + i] - mean[s]) * rstd[s]
                                        sg += Double(dp[base + i] * xhat)
                                        sb += Double(dp[base + i])
                                    }
                                    og.base[s * channelsPerSet + cc] = sg
                                    ob.base[s * channelsPerSet + cc] = sb
                                }
                            }
                        }
                    } }
                }
            }
            for s in 0..<sets {
                for cc in 0..<channelsPerSet {
                    let ch = channel(ofSet: s, cc)
                    dGamma[ch] += partG[s * channelsPerSet + cc]
                    dBeta[ch] += partB[s * channelsPerSet + cc]
                }
            }
        }
        // 4. ∂x per set.
        var dx: Tensor?
        if needX {
            var out = [Float](repeating: 0, count: x.count)
            out.withUnsafeMutableBufferPointer { o in
                dy.withUnsafeBufferPointer { d in
                    x.scalars.withUnsafeBufferPointer { xp in
                        let dst = SharedFloats(base: o.baseAddress!), dp = d.baseAddress!, xs = xp.baseAddress!
                        let gammas = gamma?.scalars
                        parallelChunks(sets, minimumPerChunk: Swift.max(1, 4096 / Swift.max(m, 1))) { range in
                            for s in range {
                                var sumA = 0.0, sumB = 0.0
                                for cc in 0..<channelsPerSet {
                                    let gm = gammas?[channel(ofSet: s, cc)] ?? 1, base = s * m + cc * inner
                                    for i in 0..<inner {
                                        let dxhat = dp[base + i] * gm, xhat = (xs[base + i] - mean[s]) * rstd[s]
                                        dst.base[base + i] = dxhat
                                        sumA += Double(dxhat)
                                        sumB += Double(dxhat * xhat)
                                    }
                                }
                                let a = Float(sumA / Double(m)), b = Float(sumB / Double(m)), r = rstd[s]
                                for i in 0..<m {
                                    let xhat = (xs[s * m + i] - mean[s]) * r
                                    dst.base[s * m + i] = r * (dst.base[s * m + i] - a - xhat * b)
                                }
                            }
                        }
                    }
                }
            }
            dx = Tensor(shape: x.shape, scalars: out)
        }
        return (dx, Tensor(shape: [channels], scalars: dGamma.map { Float($0) }),
                Tensor(shape: [channels], scalars: dBeta.map { Float($0) }))
    }
}
