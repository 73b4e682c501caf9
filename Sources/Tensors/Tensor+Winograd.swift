/// 3x3 convolution (stride 1, padding 1) by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016, "Fast
/// Algorithms for Convolutional Neural Networks", interpolation points 0, ±1, ±2, ∞).
///
/// Each 4x4 output tile is computed from a 6x6 input tile d and the 3x3 filter g as
///
///     Y = Aᵀ · [ (G·g·Gᵀ) ⊙ (Bᵀ·d·B) ] · A
///
/// and, summed over input channels, the ⊙ becomes 36 independent GEMMs: M_k[O, T] = U_k[O, C] · V_k[C, T] with
/// U = G·g·Gᵀ (filter transform), V = Bᵀ·d·B (input transform), k the 36 positions of the 6x6 tile and T the tiles
/// of the whole batch. That is 36 multiplies per 16 outputs instead of 144: 4× fewer GEMM FLOPs than im2col.
/// The filter transform runs per call (prepared weights would cost 4× the 3x3 weights' memory); it is
/// O·C·~300 FLOPs against the GEMMs' 72·O·C·T, a few percent once T ≥ 16. Tiles go through in chunks so the
/// transformed buffers stay within `winogradBudget` floats.
extension Tensor {
    /// Largest transformed-input / GEMM-output buffer in floats (64 MB each).
    public static let winogradBudget = 16 << 20

    /// Whether `conv2d(algorithm: .automatic)` takes the Winograd path. Not yet anywhere: with scalar transforms
    /// it measured no faster than im2col at SD sizes (docs/PERFORMANCE.md: 320 channels at 64x64 135 vs 138 ms,
    /// 640 at 32x32 110 vs 84 ms); vectorised transforms are the next step. `.winograd` forces it.
    static func prefersWinograd(n: Int, c: Int, o: Int, h: Int, w: Int, kh: Int, kw: Int, stride: Int, padding: Int) -> Bool {
        false
    }

    /// - self: [N, C, H, W]; weight: [O, C, 3, 3]; bias: [O] → [N, O, H, W] (stride 1, padding 1).
    func conv3x3Winograd(weight: Tensor, bias: Tensor?, budget: Int = Tensor.winogradBudget) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3], o = weight.shape[0]
        precondition(weight.shape == [o, c, 3, 3], "winograd: weight \(weight.shape) for input \(shape)")
        let tilesY = (h + 3) / 4, tilesX = (w + 3) / 4, perImage = tilesY * tilesX, total = n * perImage
        let chunk = max(1, min(total, budget / (36 * max(c, o))))
        var out = Tensor(shape: [n, o, h, w])
        var u = [Float](repeating: 0, count: 36 * o * c)
        var v = [Float](repeating: 0, count: 36 * c * chunk)
        var m = [Float](repeating: 0, count: 36 * o * chunk)
        let biasValues = bias?.scalars
        out.scalars.withUnsafeMutableBufferPointer { op in
            scalars.withUnsafeBufferPointer { xp in
                weight.scalars.withUnsafeBufferPointer { wp in
                    u.withUnsafeMutableBufferPointer { up in
                        v.withUnsafeMutableBufferPointer { vp in
                            m.withUnsafeMutableBufferPointer { mp in
                                let U = SharedPointer(base: up.baseAddress!), V = SharedPointer(base: vp.baseAddress!)
                                let M = SharedPointer(base: mp.baseAddress!), Y = SharedPointer(base: op.baseAddress!)
                                let X = UnsafeRawPointer(xp.baseAddress!), W = UnsafeRawPointer(wp.baseAddress!)
                                Tensor.winogradFilters(W.assumingMemoryBound(to: Float.self), o: o, c: c, into: U)
                                var t0 = 0
                                while t0 < total {
                                    let tc = min(chunk, total - t0)
                                    Tensor.winogradInputs(X.assumingMemoryBound(to: Float.self), c: c, h: h, w: w,
                                                          tilesX: tilesX, perImage: perImage, tiles: t0..<(t0 + tc), into: V)
                                    for k in 0..<36 {
                                        Tensor.sgemm(transA: false, transB: false, m: o, n: tc, k: c,
                                                     a: U.base + k * o * c, lda: c, b: V.base + k * c * tc, ldb: tc,
                                                     c: M.base + k * o * tc, ldc: tc)
                                    }
                                    Tensor.winogradOutputs(M, o: o, h: h, w: w, tilesX: tilesX, perImage: perImage,
                                                           tiles: t0..<(t0 + tc), bias: biasValues, into: Y)
                                    t0 += tc
                                }
                            }
                        }
                    }
                }
            }
        }
        // The GEMMs did 36 multiply-adds per tile where im2col counts 144 per 16 outputs: report the direct count.
        FLOPCounter.add(2 * o * c * 9 * n * h * w - 2 * 36 * o * c * total)
        return out
    }

    /// U_k[o, c] = (G·g·Gᵀ)_k for every filter g = weight[o, c]: [36, O, C].
    static func winogradFilters(_ weight: UnsafePointer<Float>, o: Int, c: Int, into u: SharedPointer) {
        let ws = UnsafeRawPointer(weight)
        parallelChunks(o, minimumPerChunk: 4) { range in
            let wp = ws.assumingMemoryBound(to: Float.self)
          withUnsafeTemporaryAllocation(of: Float.self, capacity: 18) { t in  // G·g: 6x3
            let q4: Float = 1 / 4, q6: Float = 1 / 6, q12: Float = 1 / 12, q24: Float = 1 / 24
            for oi in range {
                for ci in 0..<c {
                    let g = wp + (oi * c + ci) * 9
                    for col in 0..<3 {  // columns of g: G·g
                        let g0 = g[col], g1 = g[3 + col], g2 = g[6 + col]
                        t[col] = g0 * q4
                        t[3 + col] = -(g0 + g1 + g2) * q6
                        t[6 + col] = -(g0 - g1 + g2) * q6
                        t[9 + col] = g0 * q24 + g1 * q12 + g2 * q6
                        t[12 + col] = g0 * q24 - g1 * q12 + g2 * q6
                        t[15 + col] = g2
                    }
                    let dst = u.base + oi * c + ci, stride = o * c
                    for row in 0..<6 {  // rows: (G·g)·Gᵀ
                        let g0 = t[row * 3], g1 = t[row * 3 + 1], g2 = t[row * 3 + 2]
                        dst[(row * 6) * stride] = g0 * q4
                        dst[(row * 6 + 1) * stride] = -(g0 + g1 + g2) * q6
                        dst[(row * 6 + 2) * stride] = -(g0 - g1 + g2) * q6
                        dst[(row * 6 + 3) * stride] = g0 * q24 + g1 * q12 + g2 * q6
                        dst[(row * 6 + 4) * stride] = g0 * q24 - g1 * q12 + g2 * q6
                        dst[(row * 6 + 5) * stride] = g2
                    }
                }
            }
          }
        }
    }

    /// V_k[c, t] = (Bᵀ·d·B)_k for the 6x6 input tile d of every channel and tile t in `tiles` (zero outside the
    /// image: padding 1): [36, C, tiles.count].
    static func winogradInputs(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, tilesX: Int, perImage: Int,
                               tiles: Range<Int>, into v: SharedPointer) {
        let xs = UnsafeRawPointer(x), tc = tiles.count
        parallelChunks(c, minimumPerChunk: 2) { range in
            let xp = xs.assumingMemoryBound(to: Float.self)
          withUnsafeTemporaryAllocation(of: Float.self, capacity: 72) { scratch in
            let d = scratch.baseAddress!, t = d + 36
            for ci in range {
                for (j, tile) in tiles.enumerated() {
                    let img = tile / perImage, ty = (tile % perImage) / tilesX, tx = tile % tilesX
                    let y0 = ty * 4 - 1, x0 = tx * 4 - 1
                    let plane = xp + (img * c + ci) * h * w
                    if y0 >= 0 && x0 >= 0 && y0 + 6 <= h && x0 + 6 <= w {
                        for r in 0..<6 { for q in 0..<6 { d[r * 6 + q] = plane[(y0 + r) * w + x0 + q] } }
                    } else {
                        for r in 0..<6 {
                            let y = y0 + r
                            for q in 0..<6 {
                                let xx = x0 + q
                                d[r * 6 + q] = (y >= 0 && y < h && xx >= 0 && xx < w) ? plane[y * w + xx] : 0
                            }
                        }
                    }
                    for q in 0..<6 {  // columns: Bᵀ·d
                        let d0 = d[q], d1 = d[6 + q], d2 = d[12 + q], d3 = d[18 + q], d4 = d[24 + q], d5 = d[30 + q]
                        t[q] = 4 * d0 - 5 * d2 + d4
                        t[6 + q] = -4 * d1 - 4 * d2 + d3 + d4
                        t[12 + q] = 4 * d1 - 4 * d2 - d3 + d4
                        t[18 + q] = -2 * d1 - d2 + 2 * d3 + d4
                        t[24 + q] = 2 * d1 - d2 - 2 * d3 + d4
                        t[30 + q] = 4 * d1 - 5 * d3 + d5
                    }
                    let dst = v.base + ci * tc + j, stride = c * tc
                    for r in 0..<6 {  // rows: (Bᵀ·d)·B
                        let d0 = t[r * 6], d1 = t[r * 6 + 1], d2 = t[r * 6 + 2]
                        let d3 = t[r * 6 + 3], d4 = t[r * 6 + 4], d5 = t[r * 6 + 5]
                        dst[(r * 6) * stride] = 4 * d0 - 5 * d2 + d4
                        dst[(r * 6 + 1) * stride] = -4 * d1 - 4 * d2 + d3 + d4
                        dst[(r * 6 + 2) * stride] = 4 * d1 - 4 * d2 - d3 + d4
                        dst[(r * 6 + 3) * stride] = -2 * d1 - d2 + 2 * d3 + d4
                        dst[(r * 6 + 4) * stride] = 2 * d1 - d2 - 2 * d3 + d4
                        dst[(r * 6 + 5) * stride] = 4 * d1 - 5 * d3 + d5
                    }
                }
            }
          }
        }
    }

    /// Y = Aᵀ·m·A (+ bias) for every output channel and tile, m = M_k[o, t] over the 36 k; writes the 4x4 output
    /// tiles (cut at the image edge) into y: [N, O, H, W].
    static func winogradOutputs(_ mBuffer: SharedPointer, o: Int, h: Int, w: Int, tilesX: Int, perImage: Int,
                                tiles: Range<Int>, bias: [Float]?, into y: SharedPointer) {
        let tc = tiles.count
        parallelChunks(o, minimumPerChunk: 2) { range in
          withUnsafeTemporaryAllocation(of: Float.self, capacity: 60) { scratch in
            let m = scratch.baseAddress!, t = m + 36
            for oi in range {
                let b = bias?[oi] ?? 0
                for (j, tile) in tiles.enumerated() {
                    let src = mBuffer.base + oi * tc + j, stride = o * tc
                    for k in 0..<36 { m[k] = src[k * stride] }
                    for q in 0..<6 {  // columns: Aᵀ·m (4x6)
                        let m0 = m[q], m1 = m[6 + q], m2 = m[12 + q], m3 = m[18 + q], m4 = m[24 + q], m5 = m[30 + q]
                        t[q] = m0 + m1 + m2 + m3 + m4
                        t[6 + q] = m1 - m2 + 2 * m3 - 2 * m4
                        t[12 + q] = m1 + m2 + 4 * m3 + 4 * m4
                        t[18 + q] = m1 - m2 + 8 * m3 - 8 * m4 + m5
                    }
                    let img = tile / perImage, ty = (tile % perImage) / tilesX, tx = tile % tilesX
                    let plane = y.base + (img * o + oi) * h * w
                    for r in 0..<4 {  // rows: (Aᵀ·m)·A
                        let yy = ty * 4 + r
                        guard yy < h else { break }
                        let m0 = t[r * 6], m1 = t[r * 6 + 1], m2 = t[r * 6 + 2]
                        let m3 = t[r * 6 + 3], m4 = t[r * 6 + 4], m5 = t[r * 6 + 5]
                        let row = (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 * m3 - 2 * m4,
                                   m1 + m2 + 4 * m3 + 4 * m4, m1 - m2 + 8 * m3 - 8 * m4 + m5)
                        let dst = plane + yy * w + tx * 4
                        let cols = min(4, w - tx * 4)
                        dst[0] = row.0 + b
                        if cols > 1 { dst[1] = row.1 + b }
                        if cols > 2 { dst[2] = row.2 + b }
                        if cols > 3 { dst[3] = row.3 + b }
                    }
                }
            }
          }
        }
    }
}
