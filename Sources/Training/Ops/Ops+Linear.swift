import Tensors

/// Matrix products. With X = input rows [R, in], W = weight [out, in], G = ∂loss/∂Y [R, out]:
///   Y = X·Wᵀ + b,  ∂X = G·W,  ∂W = Gᵀ·X,  ∂b = Σ_rows G   (as `nn.Linear`).
extension Variable {
    /// `nn.Linear`. self: [..., in]; weight: [out, in]; bias: [out] → [..., out].
    public func linear(weight: Variable, bias: Variable? = nil) -> Variable {
        let inF = shape.last ?? 0, outF = weight.shape[0], rows = value.count / Swift.max(inF, 1)
        let y = value.linear(weight: weight.value, bias: bias?.value)
        return Self.record(y, inputs: [self, weight, bias]) { needs in
            let x = needs[1] ? value : nil, w = needs[0] ? weight.value : nil, inShape = shape
            return { g in
                var dx: Tensor?, dw: Tensor?
                g.scalars.withUnsafeBufferPointer { gp in
                    if let w {
                        var t = Tensor(shape: inShape)
                        t.scalars.withUnsafeMutableBufferPointer { o in
                            w.scalars.withUnsafeBufferPointer { wp in
                                gemm(m: rows, n: inF, k: outF, a: gp.baseAddress!, lda: outF, b: wp.baseAddress!, ldb: inF,
                                     c: o.baseAddress!, ldc: inF)
                            }
                        }
                        dx = t
                    }
                    if let x {
                        var t = Tensor(shape: [outF, inF])
                        t.scalars.withUnsafeMutableBufferPointer { o in
                            x.scalars.withUnsafeBufferPointer { xp in
                                gemm(transA: true, m: outF, n: inF, k: rows, a: gp.baseAddress!, lda: outF,
                                     b: xp.baseAddress!, ldb: inF, c: o.baseAddress!, ldc: inF)
                            }
                        }
                        dw = t
                    }
                }
                return [dx, dw, needs[2] ? g.sumRows(width: outF) : nil]
            }
        }
    }

    /// Batched product of the last two axes: self [..., M, K] · other [..., K, N] → [..., M, N].
    /// ∂A = G·Bᵀ, ∂B = Aᵀ·G per batch item.
    public func matmul(_ other: Variable) -> Variable {
        let r = value.rank, m = shape[r - 2], k = shape[r - 1], n = other.shape[r - 1]
        let batch = value.count / Swift.max(m * k, 1)
        return Self.record(value.matmul(other.value), inputs: [self, other]) { needs in
            let a = needs[1] ? value : nil, b = needs[0] ? other.value : nil
            let aShape = shape, bShape = other.shape
            return { g in
                var da: Tensor?, db: Tensor?
                g.scalars.withUnsafeBufferPointer { gp in
                    if let b {
                        var t = Tensor(shape: aShape)
                        t.scalars.withUnsafeMutableBufferPointer { o in
                            b.scalars.withUnsafeBufferPointer { bp in
                                for i in 0..<batch {
                                    gemm(transB: true, m: m, n: k, k: n, a: gp.baseAddress! + i * m * n, lda: n,
                                         b: bp.baseAddress! + i * k * n, ldb: n, c: o.baseAddress! + i * m * k, ldc: k)
                                }
                            }
                        }
                        da = t
                    }
                    if let a {
                        var t = Tensor(shape: bShape)
                        t.scalars.withUnsafeMutableBufferPointer { o in
                            a.scalars.withUnsafeBufferPointer { ap in
                                for i in 0..<batch {
                                    gemm(transA: true, m: k, n: n, k: m, a: ap.baseAddress! + i * m * k, lda: k,
                                         b: gp.baseAddress! + i * m * n, ldb: n, c: o.baseAddress! + i * k * n, ldc: n)
                                }
                            }
                        }
                        db = t
                    }
                }
                return [da, db]
            }
        }
    }
}
