import CKernels
import Foundation
import Models
import Tensors

/// Scaled dot-product attention and its gradient, memory-bounded like the forward: the probabilities are
/// recomputed in query chunks during backward (nothing of size Tq×Tk is kept between passes).
///
/// Per batch item and head, with Q [Tq, Dh], K, V [Tk, Dh], s the scale, M the additive mask, G = ∂loss/∂O:
///   P = softmax(s·QKᵀ + M),  O = P·V,
///   ∂V = Pᵀ·G,  ∂P = G·Vᵀ,  ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)),  ∂Q = s·∂S·K,  ∂K = s·∂Sᵀ·Q.
extension Variable {
    /// q: [B, Tq, H·Dh], k and v: [B, Tk, H·Dh] → [B, Tq, H·Dh] (heads side by side, as diffusers' `Attention`).
    /// scale defaults to 1/√Dh; mask: [Tq, Tk] additive (−∞ hides a key), a constant. causal: query i sees keys
    /// 0…i (no mask; the forward through the fused kernel, as in inference, the backward with the causal mask).
    public static func attention(q: Variable, k: Variable, v: Variable, heads: Int, scale: Float? = nil,
                                 mask: Tensor? = nil, causal: Bool = false) -> Variable {
        let out = Attention.scaledDotProduct(q: q.value, k: k.value, v: v.value, heads: heads, scale: scale, mask: mask,
                                             causal: causal)
        let s = scale ?? 1 / Float(q.shape[2] / heads).squareRoot()
        let mask = causal ? Attention.causalMask(q.shape[1]) : mask
        return record(out, inputs: [q, k, v]) { needs in
            let (qv, kv, vv) = (q.value, k.value, v.value)
            return { g in
                let grads = attentionBackward(g, q: qv, k: kv, v: vv, heads: heads, scale: s, mask: mask)
                return [needs[0] ? grads.dq : nil, needs[1] ? grads.dk : nil, needs[2] ? grads.dv : nil]
            }
        }
    }

    static func attentionBackward(_ g: Tensor, q: Tensor, k: Tensor, v: Tensor, heads: Int, scale s: Float,
                                  mask: Tensor?, scoreBudget: Int = Attention.scoreBudget) -> (dq: Tensor, dk: Tensor, dv: Tensor) {
        let b = q.shape[0], tq = q.shape[1], tk = k.shape[1], width = q.shape[2], dh = width / heads
        let chunk = Swift.max(1, Swift.min(tq, scoreBudget / Swift.max(tk, 1)))
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: k.count)
        var dv = [Float](repeating: 0, count: v.count)
        var p = [Float](repeating: 0, count: chunk * tk), dp = [Float](repeating: 0, count: chunk * tk)
        let maskValues = mask?.scalars
        q.scalars.withUnsafeBufferPointer { qb in k.scalars.withUnsafeBufferPointer { kb in
        v.scalars.withUnsafeBufferPointer { vb in g.scalars.withUnsafeBufferPointer { gb in
        dq.withUnsafeMutableBufferPointer { dqb in dk.withUnsafeMutableBufferPointer { dkb in
        dv.withUnsafeMutableBufferPointer { dvb in p.withUnsafeMutableBufferPointer { pb in
        dp.withUnsafeMutableBufferPointer { dpb in
            let (qp, kp, vp, gp) = (qb.baseAddress!, kb.baseAddress!, vb.baseAddress!, gb.baseAddress!)
            let (dqp, dkp, dvp) = (dqb.baseAddress!, dkb.baseAddress!, dvb.baseAddress!)
            let (pp, dpp) = (pb.baseAddress!, dpb.baseAddress!)
            // One (batch item, head) pair at a time: OpenBLAS threads each product (its calls are not run side by side).
            for job in 0..<(b * heads) {
                let bi = job / heads, off = (job % heads) * dh
                let qOff = bi * tq * width + off, kOff = bi * tk * width + off
                var q0 = 0
                while q0 < tq {
                    let rows = Swift.min(chunk, tq - q0), rOff = qOff + q0 * width
                    // P = softmax(s·Q·Kᵀ + M) for these query rows: [rows, Tk].
                    gemm(transB: true, m: rows, n: tk, k: dh, alpha: s, a: qp + rOff, lda: width,
                         b: kp + kOff, ldb: width, c: pp, ldc: tk)
                    if let maskValues {
                        for r in 0..<rows { for j in 0..<tk { pp[r * tk + j] += maskValues[(q0 + r) * tk + j] } }
                    }
                    ck_softmax_rows(pp, rows, tk)
                    // ∂V += Pᵀ·G: [Tk, Dh].
                    gemm(transA: true, m: tk, n: dh, k: rows, a: pp, lda: tk,
                         b: gp + rOff, ldb: width, beta: 1, c: dvp + kOff, ldc: width)
                    // ∂P = G·Vᵀ: [rows, Tk].
                    gemm(transB: true, m: rows, n: tk, k: dh, a: gp + rOff, lda: width,
                         b: vp + kOff, ldb: width, c: dpp, ldc: tk)
                    // ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)), kept in dp.
                    for r in 0..<rows {
                        let pr = pp + r * tk, dr = dpp + r * tk
                        var dot: Float = 0
                        for j in 0..<tk { dot += pr[j] * dr[j] }
                        for j in 0..<tk { dr[j] = pr[j] * (dr[j] - dot) }
                    }
                    // ∂Q = s·∂S·K: [rows, Dh];  ∂K += s·∂Sᵀ·Q: [Tk, Dh].
                    gemm(m: rows, n: dh, k: tk, alpha: s, a: dpp, lda: tk, b: kp + kOff,
                         ldb: width, c: dqp + rOff, ldc: width)
                    gemm(transA: true, m: tk, n: dh, k: rows, alpha: s, a: dpp, lda: tk,
                         b: qp + rOff, ldb: width, beta: 1, c: dkp + kOff, ldc: width)
                    q0 += rows
                }
            }
        } } } } } } } } }
        return (Tensor(shape: q.shape, scalars: dq), Tensor(shape: k.shape, scalars: dk), Tensor(shape: v.shape, scalars: dv))
    }

    /// Cross-frame self-attention over F frames folded into the batch (q, k, v: [B·F, T, D], frame fastest):
    /// frame f's queries attend to the keys/values of `FrameAttention.sourceFrames(f)` concatenated along the
    /// token axis, as `Models`' video UNet does. Built from slice, concat and `attention`, so its gradient
    /// reaches every source frame's keys and values.
    public static func frameAttention(q: Variable, k: Variable, v: Variable, heads: Int, frameCount: Int,
                                      sources: FrameAttention.Sources) -> Variable {
        let n = q.shape[0]
        precondition(n % frameCount == 0, "frame attention: batch \(n) is not a multiple of \(frameCount) frames")
        let outputs = (0..<n).map { item -> Variable in
            let group = item / frameCount, f = item % frameCount
            let src = FrameAttention.sourceFrames(f, count: frameCount, sources: sources).map { group * frameCount + $0 }
            let keys = concat(src.map { k.slice(axis: 0, $0..<($0 + 1)) }, axis: 1)
            let values = concat(src.map { v.slice(axis: 0, $0..<($0 + 1)) }, axis: 1)
            return attention(q: q.slice(axis: 0, item..<(item + 1)), k: keys, v: values, heads: heads)
        }
        return concat(outputs, axis: 0)
    }
}
