import COpenBLAS

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major).
extension Tensor {
    /// C[M,N] = op(A)·op(B) with row-major pointers and leading dimensions: the one GEMM entry point.
    @inline(__always)
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        FLOPCounter.add(2 * m * n * k)
        _ = BLASThreads.configured
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Linear layer as PyTorch `nn.Linear`: y = x·Wᵀ + b.
    /// - x: [..., in]; weight: [out, in]; bias: [out] → [..., out].
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        let inF = shape.last!, outF = weight.shape[0]
        precondition(weight.shape == [outF, inF], "linear: weight \(weight.shape) for input \(shape)")
        let rows = count / max(inF, 1)
        var outShape = shape
        outShape[outShape.count - 1] = outF
        // Every element is written (the bias rows, or the GEMM with β = 0); an empty product (in = 0) keeps the zero fill.
        var out = inF > 0 ? Tensor(shape: outShape, scalars: Tensor.unfilled(rows * outF)) : Tensor(shape: outShape)
        out.scalars.withUnsafeMutableBufferPointer { o in
            scalars.withUnsafeBufferPointer { x in
                weight.scalars.withUnsafeBufferPointer { w in
                    if let bias {
                        // C starts as the bias rows (the GEMM adds x·Wᵀ with β = 1), written on both cores.
                        let dst = SharedPointer(base: o.baseAddress!)
                        bias.scalars.withUnsafeBufferPointer { b in
                            let bp = b.baseAddress!
                            parallelChunks(rows, minimumPerChunk: max(1, (1 << 15) / max(1, outF))) { range in
                                for r in range { (dst.base + r * outF).update(from: bp, count: outF) }
                            }
                        }
                    }
                    Tensor.sgemm(transA: false, transB: true, m: rows, n: outF, k: inF,
                                 a: x.baseAddress!, lda: inF, b: w.baseAddress!, ldb: inF,
                                 beta: bias == nil ? 0 : 1, c: o.baseAddress!, ldc: outF)
                }
            }
        }
        return out
    }

    /// Batched product of the last two axes: [..., M, K] · [..., K, N] → [..., M, N].
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 2 && other.rank == rank && shape.dropLast(2) == other.shape.dropLast(2),
                     "matmul: \(shape) · \(other.shape)")
        let m = shape[rank - 2], k = shape[rank - 1], n = other.shape[rank - 1]
        precondition(other.shape[rank - 2] == k, "matmul: inner sizes \(k) and \(other.shape[rank - 2]) differ")
        let batch = count / max(m * k, 1)
        let outShape = Array(shape.dropLast(2)) + [m, n]
        // The GEMMs (β = 0) write every element; an empty product (k = 0) keeps the zero fill.
        var out = k > 0 ? Tensor(shape: outShape, scalars: Tensor.unfilled(batch * m * n)) : Tensor(shape: outShape)
        out.scalars.withUnsafeMutableBufferPointer { o in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    for i in 0..<batch {
                        Tensor.sgemm(transA: false, transB: false, m: m, n: n, k: k,
                                     a: a.baseAddress! + i * m * k, lda: k, b: b.baseAddress! + i * k * n, ldb: n,
                                     c: o.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        return out
    }
}
