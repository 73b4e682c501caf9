import CKernels

/// Scaled dot-product attention, memory-bounded. Without a mask it is fused (CKernels' flash-style kernel: keys in
/// blocks with an online softmax, no score matrix); with a mask, queries go through in chunks so the score matrix
/// never exceeds `scoreBudget` floats, whatever the token counts.
///
/// Shapes: q: [B, Tq, H·Dh], k and v: [B, Tk, H·Dh] (the outputs of the to_q / to_k / to_v projections, heads
/// side by side as diffusers' `Attention` lays them out) → [B, Tq, H·Dh].
/// out_h = softmax(q_h·k_hᵀ · scale) · v_h with scale = 1/√Dh unless given (matches
/// `torch.nn.functional.scaled_dot_product_attention`).
public enum Attention {
    /// Largest score block in floats (16 MB).
    public static let scoreBudget = 4 << 20

    /// `causal`: query i sees keys 0…i only (CLIP's text encoder; Tq = Tk, no `mask`), as an additive mask of −∞
    /// above the diagonal would give, but through the fused kernel, which skips the hidden key blocks.
    public static func scaledDotProduct(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float? = nil,
                                        mask: Tensor? = nil, causal: Bool = false,
                                        scoreBudget: Int = Attention.scoreBudget,
                                        fused: Bool = Attention.fusedByDefault) -> Tensor {
        precondition(q.rank == 3 && k.rank == 3 && v.rank == 3 && q.shape[0] == k.shape[0] && k.shape == v.shape
                     && q.shape[2] == k.shape[2], "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let b = q.shape[0], tq = q.shape[1], tk = k.shape[1], width = q.shape[2]
        precondition(width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        let dh = width / heads
        let s = scale ?? 1 / Float(dh).squareRoot()
        if let mask { precondition(mask.shape == [tq, tk], "attention: mask \(mask.shape) for \(tq)x\(tk) scores") }
        precondition(!causal || (mask == nil && tq == tk), "attention: causal takes no mask and Tq = Tk (\(tq), \(tk))")
        if mask == nil && fused && dh <= fusedMaxHeadWidth {
            return fusedScaledDotProduct(q: q, k: k, v: v, heads: heads, scale: s, causal: causal)
        }
        let mask = causal ? causalMask(tq) : mask
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

    /// Whether calls that do not say use the fused kernel (benchmarks turn it off to measure what it buys).
    nonisolated(unsafe) public static var fusedByDefault = true

    /// Widest head the fused kernel takes. Wider heads (the VAE's single 512-wide head) have enough work per score
    /// for BLAS to win: 217 ms fused-free against 316 ms fused for 4096 tokens × 512 (docs/PERFORMANCE.md).
    public static let fusedMaxHeadWidth = 160

    /// Query rows per parallel job of the fused kernel.
    static let fusedRowsPerJob = 64

    /// The fused path: every head's keys and values packed once (Kᵀ and padded V), then jobs of
    /// `fusedRowsPerJob` query rows of one head run `ck_attention_rows` on all cores.
    static func fusedScaledDotProduct(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float,
                                      causal: Bool = false) -> Tensor {
        let b = q.shape[0], tq = q.shape[1], tk = k.shape[1], width = q.shape[2], dh = width / heads
        let packedSize = ck_attention_packed_size(tk, dh), scratchSize = ck_attention_scratch_size(dh, fusedRowsPerJob)
        var packed = [Float](repeating: 0, count: b * heads * packedSize)
        // Every head writes its columns of every query row.
        var out = Tensor(shape: q.shape, scalars: Tensor.unfilled(q.count))
        let blocks = (tq + fusedRowsPerJob - 1) / fusedRowsPerJob
        out.scalars.withUnsafeMutableBufferPointer { op in
            q.scalars.withUnsafeBufferPointer { qp in
                k.scalars.withUnsafeBufferPointer { kp in
                    v.scalars.withUnsafeBufferPointer { vp in
                        packed.withUnsafeMutableBufferPointer { pp in
                            let P = SharedPointer(base: pp.baseAddress!), O = SharedPointer(base: op.baseAddress!)
                            let Q = UnsafeRawPointer(qp.baseAddress!), K = UnsafeRawPointer(kp.baseAddress!)
                            let V = UnsafeRawPointer(vp.baseAddress!)
                            parallelChunks(b * heads) { range in
                                for job in range {
                                    let (bi, h) = job.quotientAndRemainder(dividingBy: heads)
                                    let offset = bi * tk * width + h * dh
                                    ck_attention_pack(K.assumingMemoryBound(to: Float.self) + offset,
                                                      V.assumingMemoryBound(to: Float.self) + offset,
                                                      width, tk, dh, P.base + job * packedSize)
                                }
                            }
                            parallelChunks(b * heads * blocks) { range in
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchSize) { scratch in
                                    for job in range {
                                        let (head, block) = job.quotientAndRemainder(dividingBy: blocks)
                                        let (bi, h) = head.quotientAndRemainder(dividingBy: heads)
                                        let row0 = block * fusedRowsPerJob, rows = min(fusedRowsPerJob, tq - row0)
                                        let offset = (bi * tq + row0) * width + h * dh
                                        let qRows = Q.assumingMemoryBound(to: Float.self) + offset
                                        if causal {
                                            ck_attention_rows_causal(qRows, width, rows, row0, P.base + head * packedSize,
                                                                     tk, dh, scale, O.base + offset, width,
                                                                     scratch.baseAddress!)
                                        } else {
                                            ck_attention_rows(qRows, width, rows, P.base + head * packedSize, tk, dh,
                                                              scale, O.base + offset, width, scratch.baseAddress!)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Counted as the two products of the unfused algorithm.
        FLOPCounter.add(2 * 2 * b * heads * tq * tk * dh)
        return out
    }

    /// The additive causal mask [T, T]: 0 on and below the diagonal, −∞ above (key j > query i hidden).
    public static func causalMask(_ t: Int) -> Tensor {
        var mask = Tensor(shape: [t, t])
        for i in 0..<t { for j in (i + 1)..<t { mask.scalars[i * t + j] = -.infinity } }
        return mask
    }
}
