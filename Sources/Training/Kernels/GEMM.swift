import COpenBLAS
import Tensors

/// Row-major C[M,N] = α·op(A)·op(B) + β·C through OpenBLAS, for the backward kernels.
///
/// The forward passes go through `Tensor.sgemm` in Tensors (internal there, so its FLOP counter does not see
/// these calls); this wrapper has the same argument order so that it can forward to it once it is public.
@inline(__always)
func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    if k == 0 {
        // BLAS leaves C untouched for k = 0 only when β = 1; make the empty product explicit.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
        return
    }
    _ = BLASThreads.configured
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// A pointer that parallel workers writing disjoint ranges may share.
struct SharedBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}

typealias SharedFloats = SharedBuffer<Float>
