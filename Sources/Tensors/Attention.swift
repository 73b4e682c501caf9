/// Scaled dot-product attention, memory-bounded: queries go through in chunks so the score matrix never
/// exceeds `scoreBudget` floats, whatever the token counts.
///
/// Shapes: q: [B, Tq, H·Dh], k and v: [B, Tk, H·Dh] (the outputs of the to_q / to_k / to_v projections, heads
/// side by side as diffusers' `Attention` lays them out) → [B, Tq, H·Dh].
/// out_h = softmax(q_h·k_hᵀ · scale) · v_h with scale = 1/√Dh unless given (matches
/// `torch.nn.functional.scaled_dot_product_attention`).
public enum Attention {
    /// Largest score block in floats (16 MB).
    public static let scoreBudget = 4 << 20

    public static func scaledDotProduct(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float? = nil,
                                        mask: Tensor? = nil, scoreBudget: Int = Attention.scoreBudget) -> Tensor {
        precondition(q.rank == 3 && k.rank == 3 && v.rank == 3 && q.shape[0] == k.shape[0] && k.shape == v.shape
                     && q.shape[2] == k.shape[2], "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let b = q.shape[0], tq = q.shape[1], tk = k.shape[1], width = q.shape[2]
        precondition(width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        let dh = width / heads
        let s = scale ?? 1 / Float(dh).squareRoot()
        if let mask { precondition(mask.shape == [tq, tk], "attention: mask \(mask.shape) for \(tq)x\(tk) scores") }
        let chunk = max(1, min(tq, scoreBudget / max(tk, 1)))
        var scores = [Float](repeating: 0, count: chunk * tk)
        var out = Tensor(shape: q.shape)
        out.scalars.withUnsafeMutableBufferPointer { op in
            q.scalars.withUnsafeBufferPointer { qp in
                k.scalars.withUnsafeBufferPointer { kp in
                    v.scalars.withUnsafeBufferPointer { vp in
                        scores.withUnsafeMutableBufferPointer { sp in
                            for bi in 0..<b {
                                for h in 0..<heads {
                                    let qb = qp.baseAddress! + bi * tq * width + h * dh
                                    let kb = kp.baseAddress! + bi * tk * width + h * dh
                                    let vb = vp.baseAddress! + bi * tk * width + h * dh
                                    let ob = op.baseAddress! + bi * tq * width + h * dh
                                    var q0 = 0
                                    while q0 < tq {
                                        let rows = min(chunk, tq - q0)
                                        // scores[rows, Tk] = q·kᵀ (scaled inside the softmax)
                                        Tensor.sgemm(transA: false, transB: true, m: rows, n: tk, k: dh,
                                                     a: qb + q0 * width, lda: width, b: kb, ldb: width,
                                                     c: sp.baseAddress!, ldc: tk)
                                        if let mask {
                                            mask.scalars.withUnsafeBufferPointer { mp in
                                                for r in 0..<rows { for j in 0..<tk { sp[r * tk + j] += mp[(q0 + r) * tk + j] / s } }
                                            }
                                        }
                                        Tensor.softmaxRows(SharedPointer(base: sp.baseAddress!), rows: rows, width: tk, scale: s)
                                        // out[rows, Dh] = scores · v
                                        Tensor.sgemm(transA: false, transB: false, m: rows, n: dh, k: tk,
                                                     a: sp.baseAddress!, lda: tk, b: vb, ldb: width,
                                                     c: ob + q0 * width, ldc: width)
                                        q0 += rows
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
