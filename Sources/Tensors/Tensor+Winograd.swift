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
/// The filter transform runs per call (prepared weights would cost 4× the 3x3 weights' memory), so Winograd
/// only pays with enough tiles (`prefersWinograd`). Tiles go through in chunks so the transformed buffers stay
/// within `winogradBudget` floats. With up to 128 tiles the filters are transformed one block of output channels
/// and one slice of input channels at a time, right before that block's products (`winogradProductsInBlocks`), so
/// they never leave the L2 cache.
import CKernels

extension Tensor {
    /// Largest transformed-input / GEMM-output buffer in floats (64 MB each).
    public static let winogradBudget = 16 << 20

    /// Whether `conv2d(algorithm: .automatic)` takes the Winograd path: 3x3, stride 1, padding 1, 32 channels each
    /// way, and at least 32 tiles (T = N·⌈H/4⌉·⌈W/4⌉), or at least 8 where the products run in blocks
    /// (`filtersInBlocks`: AVX-512, 64 outputs or more). The filter transform costs O·C per call whatever T is and
    /// the 36 GEMMs are [O, C]·[C, T]. Measured on 2 cores (docs/PERFORMANCE.md): T = 32 wins (640 channels at
    /// 16x16, batch 2: 14.8 vs 20.3 ms im2col); in blocks, whose products take T rounded up to 16, T = 8 wins too
    /// (1280 channels at 8x8, batch 2: 17–19 vs 23–24 ms; 1280 at 4x4, batch 16, T = 16: 20–21 vs 48–52 ms). Below
    /// 8 the 36·16 products per filter outnumber im2col's 9·16·T.
    static func prefersWinograd(n: Int, c: Int, o: Int, h: Int, w: Int, kh: Int, kw: Int, stride: Int, padding: Int) -> Bool {
        guard kh == 3 && kw == 3 && stride == 1 && padding == 1 && c >= 32 && o >= 32 else { return false }
        let tiles = n * ((h + 3) / 4) * ((w + 3) / 4)
        return tiles >= 32 || (tiles >= 8 && filtersInBlocks(tiles: tiles, chunk: tiles, outputs: o))
    }

    /// - self: [N, C, H, W]; weight: [O, C, 3, 3]; bias: [O] → [N, O, H, W] (stride 1, padding 1).
    /// Tiles go through in chunks of whole tile rows (of any image); transforms in CKernels, vectorised along rows.
    func conv3x3Winograd(weight: Tensor, bias: Tensor?, budget: Int = Tensor.winogradBudget) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3], o = weight.shape[0]
        precondition(weight.shape == [o, c, 3, 3], "winograd: weight \(weight.shape) for input \(shape)")
        let tilesY = (h + 3) / 4, tilesX = (w + 3) / 4, tileRows = n * tilesY
        let rowsPerChunk = max(1, min(tileRows, budget / (36 * max(c, o) * tilesX)))
        let chunk = rowsPerChunk * tilesX
        // Every element of these is written before it is read (filters, input rows, GEMMs with β = 0, output
        // rows), so they skip the zero fill: U alone is 59 MB at 640 channels, and filling it cost more than its
        // 36 GEMMs at 16x16.
        var out = Tensor(shape: [n, o, h, w], scalars: Tensor.unfilled(n * o * h * w))
        let blocked = Tensor.filtersInBlocks(tiles: tileRows * tilesX, chunk: chunk, outputs: o)
        var u = Tensor.unfilled(blocked ? 0 : 36 * o * c)
        // V: [36, C, chunk], or for the blocked products [slices, 36, slice, chunk] (`ck_winograd_products_block`
        // reads one slice of channels for all 36 products at a time, so it lies in one run).
        // The blocked products take whole vectors of tiles: a chunk of 8 tiles (8x8 latents, batch 2) has 8 zero
        // columns after its tiles in V (M's are computed and not read).
        let columns = blocked ? (chunk + 15) / 16 * 16 : chunk
        let slice = blocked ? ck_winograd_slice_channels(columns) : c, slices = (c + slice - 1) / slice
        var v = columns > chunk ? [Float](repeating: 0, count: 36 * slices * slice * columns)
                                : Tensor.unfilled(36 * slices * slice * columns)
        var m = Tensor.unfilled(36 * o * columns)
        let biasValues = bias?.scalars ?? [Float](repeating: 0, count: o)
        let scratchSize = ck_winograd_scratch_size(tilesX)
        out.scalars.withUnsafeMutableBufferPointer { op in
            scalars.withUnsafeBufferPointer { xp in
                weight.scalars.withUnsafeBufferPointer { wp in
                    u.withUnsafeMutableBufferPointer { up in
                        v.withUnsafeMutableBufferPointer { vp in
                            m.withUnsafeMutableBufferPointer { mp in
                                let U = SharedPointer(base: up.baseAddress!), V = SharedPointer(base: vp.baseAddress!)
                                let M = SharedPointer(base: mp.baseAddress!), Y = SharedPointer(base: op.baseAddress!)
                                let X = UnsafeRawPointer(xp.baseAddress!), W = UnsafeRawPointer(wp.baseAddress!)
                                if !blocked {
                                    parallelChunks(o, minimumPerChunk: 8) { range in
                                        ck_winograd_filters(W.assumingMemoryBound(to: Float.self) + range.lowerBound * c * 9,
                                                            range.count * c, U.base + range.lowerBound * c, o * c)
                                    }
                                }
                                var row0 = 0
                                while row0 < tileRows {
                                    let rows = min(rowsPerChunk, tileRows - row0), tc = rows * tilesX
                                    let ld = blocked ? columns : tc  // V's and M's row length
                                    parallelChunks(c, minimumPerChunk: 2) { range in
                                        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchSize) { scratch in
                                            let x = X.assumingMemoryBound(to: Float.self)
                                            for ch in range {
                                                let (s, local) = ch.quotientAndRemainder(dividingBy: slice)
                                                let channelV = V.base + s * 36 * slice * ld + local * ld
                                                for rr in 0..<rows {
                                                    let (img, ty) = (row0 + rr).quotientAndRemainder(dividingBy: tilesY)
                                                    ck_winograd_input_row(x + (img * c + ch) * h * w, h, w, ty, tilesX,
                                                                          channelV + rr * tilesX, slice * ld,
                                                                          scratch.baseAddress!)
                                                }
                                            }
                                        }
                                    }
                                    if blocked {
                                        Tensor.winogradProductsInBlocks(weight: W.assumingMemoryBound(to: Float.self), v: V.base,
                                                                        m: M.base, outputs: o, channels: c, tiles: ld)
                                    } else {
                                        for k in 0..<36 {
                                            Tensor.sgemm(transA: false, transB: false, m: o, n: tc, k: c,
                                                         a: U.base + k * o * c, lda: c, b: V.base + k * c * tc, ldb: tc,
                                                         c: M.base + k * o * tc, ldc: tc)
                                        }
                                    }
                                    parallelChunks(o, minimumPerChunk: 2) { range in
                                        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchSize) { scratch in
                                            for oi in range {
                                                for rr in 0..<rows {
                                                    let (img, ty) = (row0 + rr).quotientAndRemainder(dividingBy: tilesY)
                                                    ck_winograd_output_row(M.base + oi * ld + rr * tilesX, o * ld, tilesX,
                                                                           biasValues[oi], Y.base + (img * o + oi) * h * w,
                                                                           h, w, ty, scratch.baseAddress!)
                                                }
                                            }
                                        }
                                    }
                                    row0 += rows
                                }
                            }
                        }
                    }
                }
            }
        }
        // The GEMMs did 36 multiply-adds per tile where im2col counts 144 per 16 outputs: report the direct count.
        FLOPCounter.add(2 * o * c * 9 * n * h * w - 2 * 36 * o * c * tileRows * tilesX)
        return out
    }

    /// Block size (output channels) of `winogradProductsInBlocks`: 36·32·slice transformed floats at a time
    /// (590 KB for slices of 128 channels), which stay in L2 between being written and read.
    static let winogradFilterBlock = 32

    /// Process-wide switch for benchmarks (`ctxedit-bench --winograd-blocks off`); on where `ck_gemm_narrow` has
    /// its AVX-512 kernel.
    nonisolated(unsafe) public static var winogradBlocksEnabled = ck_gemm_narrow_available() != 0

    /// Whether the filters are transformed per block of output channels right before their products: up to 128
    /// tiles, all in one chunk, at least two blocks of outputs. There OpenBLAS's 36 products [O, C]·[C, T] ran at
    /// 45–65% of its peak (T = 128: 117 GFLOP/s at 640 channels) and the transformed filters, 4× the weights
    /// (236 MB at 1280 channels), went to memory and came back; in blocks they stay in L2 and the products run at
    /// ~80% of one core's peak on each core.
    static func filtersInBlocks(tiles: Int, chunk: Int, outputs: Int) -> Bool {
        winogradBlocksEnabled && tiles == chunk && tiles <= 128 && outputs >= 2 * winogradFilterBlock
    }

    /// M_k[O, T] = U_k[O, C]·V_k[C, T] for k = 0..<36, U from the 3x3 weights [O, C, 3, 3] one block of output
    /// channels at a time (`ck_winograd_products_block`: filters transformed per slice of channels, then narrow
    /// products adding up over the slices), blocks split over the cores.
    /// v: [slices, 36, slice, T] (slice = `ck_winograd_slice_channels(T)`), m: [36, O, T].
    static func winogradProductsInBlocks(weight: UnsafePointer<Float>, v: UnsafeMutablePointer<Float>,
                                         m: UnsafeMutablePointer<Float>, outputs o: Int, channels c: Int, tiles t: Int) {
        let block = winogradFilterBlock, blocks = (o + block - 1) / block
        let W = UnsafeRawPointer(weight), V = SharedPointer(base: v), M = SharedPointer(base: m)
        parallelChunks(blocks, minimumPerChunk: 2) { range in
            var u = Tensor.unfilled(ck_winograd_block_scratch_size(block, t))  // 590 KB at most: on the heap
            u.withUnsafeMutableBufferPointer { up in
                for b in range {
                    let o0 = b * block
                    ck_winograd_products_block(W.assumingMemoryBound(to: Float.self), c, V.base, t, M.base, o, o0,
                                               min(block, o - o0), up.baseAddress!)
                }
            }
        }
        FLOPCounter.add(36 * 2 * o * c * t)
    }
}
