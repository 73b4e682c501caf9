import Foundation
import Testing
import CKernels
@testable import Tensors

/// Fast kernels against the naive definitions (Reference.swift). Tolerances are absolute, on values of order 1.
@Suite struct KernelTests {
    @Test func linearMatchesNaive() {
        let x = randomTensor([2, 7, 40], seed: 1), w = randomTensor([24, 40], seed: 2), b = randomTensor([24], seed: 3)
        #expect(maxError(x.linear(weight: w, bias: b), Naive.linear(x, w, b), tolerance: 1e-4, label: "linear") <= 1e-4)
        #expect(maxError(x.linear(weight: w, bias: nil), Naive.linear(x, w, nil), tolerance: 1e-4, label: "linear no bias") <= 1e-4)
    }

    /// After the first GEMM OpenBLAS's workers run with the short poll (`BLASThreads`): OpenBLAS has re-read its
    /// environment (its `openblas_thread_timeout()` reports the exponent; 0 while unset), and products on the
    /// restarted workers, large enough to be split across them, still match the naive ones.
    @Test func blasWorkersRestartWithTheShortPoll() throws {
        let x = randomTensor([2, 150, 128], seed: 60), w = randomTensor([96, 128], seed: 61)
        let first = x.linear(weight: w, bias: nil)
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_thread_timeout"),
                                  "not linked against OpenBLAS")
        let timeout = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)()
        // Ours (4) unless the user had set the variable, which OpenBLAS then read at load.
        let value = try #require(getenv("OPENBLAS_THREAD_TIMEOUT").map { String(cString: $0) })
        #expect(timeout > 0 && timeout == Int32(value))
        #expect(maxError(first, Naive.linear(x, w, nil), tolerance: 1e-3, label: "linear after restart") <= 1e-3)
        #expect(x.linear(weight: w, bias: nil) == first)
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (3, 1, 0), (1, 2, 0)])
    func conv2dMatchesNaive(_ params: (Int, Int, Int)) {
        let (k, stride, pad) = params
        let x = randomTensor([2, 5, 13, 11], seed: 4), w = randomTensor([6, 5, k, k], seed: 5), b = randomTensor([6], seed: 6)
        let ref = Naive.conv2d(x, w, b, stride: stride, padding: pad)
        #expect(maxError(x.conv2d(weight: w, bias: b, stride: stride, padding: pad), ref, tolerance: 1e-4, label: "conv") <= 1e-4)
        // Tiny im2col budget: one output row per band.
        let banded = x.conv2d(weight: w, bias: b, stride: stride, padding: pad, im2colBudget: 1)
        #expect(maxError(banded, ref, tolerance: 1e-4, label: "conv banded") <= 1e-4)
    }

    @Test func winogradWhereItPays() {
        #expect(Tensor.prefersWinograd(n: 2, c: 320, o: 320, h: 32, w: 32, kh: 3, kw: 3, stride: 1, padding: 1))
        #expect(Tensor.prefersWinograd(n: 2, c: 640, o: 640, h: 16, w: 16, kh: 3, kw: 3, stride: 1, padding: 1))
        // 8 tiles: Winograd only where the products run in blocks (AVX-512); 2 tiles: never.
        #expect(Tensor.prefersWinograd(n: 2, c: 1280, o: 1280, h: 8, w: 8, kh: 3, kw: 3, stride: 1, padding: 1)
                == Tensor.winogradBlocksEnabled)
        #expect(!Tensor.prefersWinograd(n: 2, c: 1280, o: 1280, h: 4, w: 4, kh: 3, kw: 3, stride: 1, padding: 1))
        #expect(!Tensor.prefersWinograd(n: 2, c: 320, o: 320, h: 64, w: 64, kh: 3, kw: 3, stride: 2, padding: 1))
        #expect(!Tensor.prefersWinograd(n: 1, c: 3, o: 128, h: 512, w: 512, kh: 3, kw: 3, stride: 1, padding: 1))
    }

    /// Images grouped into one GEMM: 5 images with room for 2 per group (groups of 2, 2, 1), 3x3 and 1x1.
    @Test(arguments: [(3, 1, 1), (1, 1, 0), (3, 2, 1)])
    func groupedConvMatchesNaive(_ params: (Int, Int, Int)) {
        let (k, stride, pad) = params
        let x = randomTensor([5, 6, 9, 10], seed: 30), w = randomTensor([7, 6, k, k], seed: 31), b = randomTensor([7], seed: 32)
        let ho = (9 + 2 * pad - k) / stride + 1, wo = (10 + 2 * pad - k) / stride + 1
        let grouped = x.conv2d(weight: w, bias: b, stride: stride, padding: pad, im2colBudget: 2 * 6 * k * k * ho * wo)
        #expect(maxError(grouped, Naive.conv2d(x, w, b, stride: stride, padding: pad), tolerance: 1e-4, label: "grouped") <= 1e-4)
    }

    /// Winograd F(4x4, 3x3) against the naive convolution: sizes that are and are not multiples of the 4x4 tile,
    /// batch > 1 (tiles of several images in one GEMM), and a budget of one tile per chunk. Errors relative to the
    /// output scale (~√(9·C)) stay near float rounding: the transforms' constants (up to 8 and 1/24) cost about one
    /// decimal digit against im2col.
    /// Output channels 7 (one filter-transform job) and 40 (several, run in parallel: a per-job stride bug there once
    /// broke training while the 7-channel cases passed).
    /// From (1, 33, ...) on: at most 128 tiles and at least 64 output channels: with AVX-512 their filters are
    /// transformed in blocks of 32 outputs (70: a partial last block) right before unpacked narrow products, one
    /// slice of input channels at a time (128 channels up to 32 tiles, 64 up to 64, else 32: (2, 150, ...) and
    /// (1, 70, ...) have two slices, the second partial); the products take whole vectors of tiles, so 8 and 6 tiles
    /// ((2, 40, ...), (1, 24, ...)) are padded to 16.
    @Test(arguments: [(1, 16, 8, 8, 7), (2, 5, 13, 11, 7), (3, 24, 7, 9, 40), (1, 64, 17, 20, 7), (8, 32, 16, 16, 40),
                      (1, 33, 16, 16, 70), (2, 20, 16, 16, 96), (1, 16, 32, 32, 64), (2, 150, 16, 16, 64),
                      (1, 70, 32, 32, 64), (2, 40, 8, 8, 64), (1, 24, 8, 12, 64), (2, 24, 32, 32, 64)])
    func winogradMatchesNaive(_ dims: (Int, Int, Int, Int, Int)) {
        let (n, c, h, w, o) = dims
        let x = randomTensor([n, c, h, w], seed: 40), wt = randomTensor([o, c, 3, 3], seed: 41), b = randomTensor([o], seed: 42)
        let ref = Naive.conv2d(x, wt, b, stride: 1, padding: 1)
        let tolerance: Float = 2e-4 * Float(9 * c).squareRoot()
        let fast = x.conv2d(weight: wt, bias: b, stride: 1, padding: 1, algorithm: .winograd)
        #expect(maxError(fast, ref, tolerance: tolerance, label: "winograd") <= tolerance)
        let tiles = n * ((h + 3) / 4) * ((w + 3) / 4)
        #expect(Tensor.filtersInBlocks(tiles: tiles, chunk: tiles, outputs: o)
                 == (Tensor.winogradBlocksEnabled && tiles <= 128 && o >= 64))
        let chunked = x.conv3x3Winograd(weight: wt, bias: nil, budget: 1)  // one row of tiles per chunk
        #expect(maxError(chunked, Naive.conv2d(x, wt, nil, stride: 1, padding: 1), tolerance: tolerance,
                         label: "winograd one tile per chunk") <= tolerance)
    }

    /// `ck_winograd_filters` (AVX-512: 16 filters per step, transposed by permutes; the rest and other CPUs: a plain
    /// loop) against U = G·g·Gᵀ in Double with Lavin & Gray's G for F(4x4, 3x3): counts below, at and past whole
    /// steps of 16, into a u whose stride leaves room (nothing written between the runs).
    @Test(arguments: [1, 15, 16, 17, 48, 61])
    func winogradFilterTransformMatchesDefinition(_ filters: Int) {
        let G: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        let g = randomTensor([filters, 3, 3], seed: 60).scalars, stride = filters + 5
        var u = [Float](repeating: .nan, count: 36 * stride)
        ck_winograd_filters(g, filters, &u, stride)
        var worst = 0.0
        for f in 0..<filters {
            for r in 0..<6 {
                for c in 0..<6 {
                    var want = 0.0
                    for i in 0..<3 { for j in 0..<3 { want += G[r][i] * Double(g[f * 9 + i * 3 + j]) * G[c][j] } }
                    worst = max(worst, abs(Double(u[(r * 6 + c) * stride + f]) - want))
                }
            }
        }
        #expect(worst <= 1e-6, "\(filters) filters: \(worst)")
        for k in 0..<36 { for i in filters..<stride { #expect(u[k * stride + i].isNaN, "wrote u[\(k)][\(i)]") } }
    }

    /// `ck_gemm_narrow` (AVX-512 kernel where available, else its plain loop) against the naive product: every
    /// supported width, rows that are and are not multiples of its row block, K within one block, across several
    /// (its B blocks are 16384 floats), and K = 0; leading dimensions wider than the rows.
    @Test(arguments: [16, 32, 48, 64])
    func narrowProductMatchesNaive(_ n: Int) {
        for (m, k) in [(70, 5), (64, 300), (13, 1100), (9, 0)] {
            let (lda, ldb, ldc) = (k + 3, n + 5, n + 7)
            let a = randomTensor([m, lda], seed: 50).scalars, b = randomTensor([max(k, 1), ldb], seed: 51).scalars
            var c = [Float](repeating: .nan, count: m * ldc)
            ck_gemm_narrow(a, lda, b, ldb, &c, ldc, m, n, k)
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var s: Float = 0
                    for p in 0..<k { s += a[i * lda + p] * b[p * ldb + j] }
                    worst = max(worst, abs(c[i * ldc + j] - s))
                }
                for j in n..<ldc { #expect(c[i * ldc + j].isNaN, "wrote past the row: \(m)x\(n)x\(k) at (\(i), \(j))") }
            }
            let tolerance = 1e-5 * Float(max(k, 1)).squareRoot() * 4
            #expect(worst <= tolerance, "\(m)x\(n)x\(k): \(worst)")
            // ck_gemm_narrow_acc adds the product to what C holds: C + A·B − A·B = C within the same tolerance.
            var before = c
            for i in 0..<m { for j in 0..<n { before[i * ldc + j] = Float(i - j) * 0.25 } }
            var sum = before
            ck_gemm_narrow_acc(a, lda, b, ldb, &sum, ldc, m, n, k)
            var worstAcc: Float = 0
            for i in 0..<m {
                for j in 0..<n { worstAcc = max(worstAcc, abs(sum[i * ldc + j] - c[i * ldc + j] - before[i * ldc + j])) }
                for j in n..<ldc { #expect(sum[i * ldc + j].isNaN, "acc wrote past the row: \(m)x\(n)x\(k)") }
            }
            #expect(worstAcc <= tolerance, "acc \(m)x\(n)x\(k): \(worstAcc)")
        }
    }

    @Test func groupNormAtStableDiffusionSize() {
        // SD's most common group norm: 320 channels, 32 groups, 64x64 latents.
        let x = randomTensor([1, 320, 64, 64], seed: 7) * 3 + 0.5
        let g = randomTensor([320], seed: 8), b = randomTensor([320], seed: 9)
        let fast = x.groupNorm(groups: 32, gamma: g, beta: b, eps: 1e-5)
        let ref = Naive.groupNorm(x, groups: 32, gamma: g, beta: b, eps: 1e-5)
        #expect(maxError(fast, ref, tolerance: 1e-4, label: "groupNorm") <= 1e-4)
        let fused = x.groupNorm(groups: 32, gamma: g, beta: b, eps: 1e-5, thenSiLU: true)
        #expect(maxError(fused, ref.silu(), tolerance: 1e-4, label: "groupNorm+SiLU") <= 1e-4)
    }

    /// `ck_softmax_rows` (the training attention's backward) against the definition in Double, on row lengths
    /// around its 16-lane blocks, scores up to ±40 and one row with a hidden (−∞) key.
    @Test func softmaxRowsKernelMatchesDefinition() {
        for n in [1, 5, 16, 17, 77, 256] {
            var x = randomTensor([3, n], seed: UInt64(n)).scalars.map { $0 * 20 }
            if n > 1 { x[n + 1] = -Float.infinity }
            let rows = (0..<3).map { Array(x[($0 * n)..<(($0 + 1) * n)]) }
            ck_softmax_rows(&x, 3, n)
            for (r, row) in rows.enumerated() {
                let top = Double(row.max()!), e = row.map { exp(Double($0) - top) }, sum = e.reduce(0, +)
                for j in 0..<n {
                    // Relative error 1e-5: the kernel's exp is good to 1e-7 near 0, but x − max ≈ −40 times log2 e
                    // rounds in float (~4e-6 relative in 2^t); a hidden key gets ~1e-38, not 0.
                    #expect(abs(Double(x[r * n + j]) - e[j] / sum) <= 1e-5 * e[j] / sum + 1e-37,
                            "n \(n) row \(r) key \(j): \(x[r * n + j]) vs \(e[j] / sum)")
                }
            }
        }
    }

    /// `Tensor.quickGELU` (`ck_quick_gelu` on both cores) against x·σ(1.702·x) in Double, from −60 to 60 and on a
    /// tensor large enough to be split between the cores (the split's boundaries are checked like every element).
    @Test func quickGELUMatchesDefinition() {
        let x = (randomTensor([3, 40_000], seed: 61) * 20).scalars + [-60, -30, 0, 1e-8, 30, 60]
        let y = Tensor(shape: [x.count], scalars: x).quickGELU().scalars
        var worst = 0.0
        for (xi, yi) in zip(x, y) {
            let want = Double(xi) / (1 + exp(-1.702 * Double(xi)))
            worst = max(worst, abs(Double(yi) - want) / max(abs(want), 1e-30))
        }
        // Relative 1e-5 for the same reason as the softmax's: 1.702·x·log2 e rounds in float for |x| up to ~50.
        #expect(worst <= 1e-5, "worst relative error \(worst)")
    }

    @Test func layerNormAndSoftmax() {
        let x = randomTensor([3, 5, 64], seed: 10) * 2, g = randomTensor([64], seed: 11), b = randomTensor([64], seed: 12)
        // LayerNorm is GroupNorm with one group over the last axis.
        let asGroup = Naive.groupNorm(x.reshaped([15, 1, 64]), groups: 1, gamma: Tensor(shape: [1], repeating: 1),
                                      beta: Tensor(shape: [1], repeating: 0), eps: 1e-5).reshaped([15, 64])
        let expected = asGroup * Tensor(shape: [15, 64], scalars: (0..<15).flatMap { _ in g.scalars })
            + Tensor(shape: [15, 64], scalars: (0..<15).flatMap { _ in b.scalars })
        #expect(maxError(x.layerNorm(gamma: g, beta: b).reshaped([15, 64]), expected, tolerance: 1e-4, label: "layerNorm") <= 1e-4)
        let s = x.softmax()
        for r in 0..<15 {
            let row = s.scalars[(r * 64)..<((r + 1) * 64)]
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        }
        // softmax(x)_i / softmax(x)_j = exp(x_i − x_j)
        #expect(abs(s.scalars[0] / s.scalars[1] - exp(x.scalars[0] - x.scalars[1])) < 1e-4)
    }

    @Test func attentionMatchesNaiveAtAnyChunking() {
        let q = randomTensor([2, 37, 32], seed: 13), k = randomTensor([2, 23, 32], seed: 14), v = randomTensor([2, 23, 32], seed: 15)
        let ref = Naive.attention(q: q, k: k, v: v, heads: 4)
        for budget in [Attention.scoreBudget, 23 * 5, 1] {
            let fast = Attention.scaledDotProduct(q: q, k: k, v: v, heads: 4, scoreBudget: budget, fused: false)
            #expect(maxError(fast, ref, tolerance: 1e-5, label: "attention budget \(budget)") <= 1e-5)
        }
        let fused = Attention.scaledDotProduct(q: q, k: k, v: v, heads: 4)
        #expect(maxError(fused, ref, tolerance: 1e-5, label: "fused attention") <= 1e-5)
    }

    /// The fused kernel at SD's head widths (40, 80, 160; the widest it takes), key counts that are not
    /// multiples of its 16-key vectors or 256-key blocks, query counts that are not multiples of its 4-row blocks
    /// or 64-row jobs, and scores large enough (×8) that the running max changes between key blocks.
    @Test(arguments: [(1, 2, 80, 70), (2, 8, 320, 300), (1, 4, 640, 77), (1, 1, 160, 600), (2, 2, 20, 1)])
    func fusedAttentionMatchesNaive(_ dims: (Int, Int, Int, Int)) {
        let (b, heads, width, tk) = dims
        let tq = 133
        let q = randomTensor([b, tq, width], seed: 50) * 8, k = randomTensor([b, tk, width], seed: 51)
        let v = randomTensor([b, tk, width], seed: 52)
        let ref = Naive.attention(q: q, k: k, v: v, heads: heads)
        let fused = Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads)
        #expect(maxError(fused, ref, tolerance: 2e-5, label: "fused \(dims)") <= 2e-5)
    }

    /// Each compiled copy of the fused kernel (AVX-512, AVX2, 4-wide) that this CPU can run gives the same result,
    /// at head widths whose last vector of P·V is full (80), at most half used (40, 24, 8, 36: the half-vector
    /// path) or neither. One test, so no other test switches the kernel copy while it runs.
    @Test func fusedAttentionAtEveryVectorWidth() {
        let best = ck_attention_use_level(-1)
        defer { _ = ck_attention_use_level(-1) }
        for (heads, dh) in [(2, 80), (4, 40), (3, 24), (2, 8), (1, 36)] {
            let width = heads * dh
            let q = randomTensor([1, 37, width], seed: 53) * 4, k = randomTensor([1, 300, width], seed: 54)
            let v = randomTensor([1, 300, width], seed: 55)
            let ref = Naive.attention(q: q, k: k, v: v, heads: heads)
            for level in 0...best {
                #expect(ck_attention_use_level(Int32(level)) == Int32(level))
                let fused = Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads)
                #expect(maxError(fused, ref, tolerance: 2e-5, label: "fused at level \(level), head width \(dh)") <= 2e-5)
            }
        }
    }

    @Test func causalMaskHidesTheFuture() {
        let q = randomTensor([1, 6, 8], seed: 16), k = randomTensor([1, 6, 8], seed: 17), v = randomTensor([1, 6, 8], seed: 18)
        var mask = Tensor(shape: [6, 6])
        for i in 0..<6 { for j in (i + 1)..<6 { mask.scalars[i * 6 + j] = -.infinity } }
        let out = Attention.scaledDotProduct(q: q, k: k, v: v, heads: 2, mask: mask)
        // Row 0 sees only token 0: its output is v[0].
        #expect(maxError(out.slice(axis: 1, 0..<1), v.slice(axis: 1, 0..<1), tolerance: 1e-6) <= 1e-6)
        // Row 2 equals unmasked attention over the first three tokens.
        let partial = Naive.attention(q: q.slice(axis: 1, 2..<3), k: k.slice(axis: 1, 0..<3), v: v.slice(axis: 1, 0..<3), heads: 2)
        #expect(maxError(out.slice(axis: 1, 2..<3), partial, tolerance: 1e-5) <= 1e-5)
    }

    /// Causal attention (CLIP's text encoder) through the fused kernel against the naive causal attention: 77
    /// tokens × 64-wide heads as in CLIP; 600 tokens × 160 (key blocks of 192: rows of later 64-row jobs skip the
    /// blocks they cannot see, and the blocks they see partly are cut inside); 133 × 40 (the half-vector P·V); and
    /// the unfused path (the causal mask it builds) on the same inputs.
    @Test(arguments: [(2, 2, 64, 77), (1, 1, 160, 600), (1, 3, 40, 133)])
    func causalAttentionMatchesNaive(_ dims: (Int, Int, Int, Int)) {
        let (b, heads, dh, t) = dims
        let q = randomTensor([b, t, heads * dh], seed: 56) * 4, k = randomTensor([b, t, heads * dh], seed: 57)
        let v = randomTensor([b, t, heads * dh], seed: 58)
        let ref = Naive.attention(q: q, k: k, v: v, heads: heads, causal: true)
        let fused = Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads, causal: true)
        #expect(maxError(fused, ref, tolerance: 2e-5, label: "fused causal \(dims)") <= 2e-5)
        let unfused = Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads, causal: true, fused: false)
        #expect(maxError(unfused, ref, tolerance: 2e-5, label: "unfused causal \(dims)") <= 2e-5)
    }

    @Test func activationsAtKnownValues() {
        let x = Tensor(shape: [4], scalars: [-1, 0, 1, 2])
        let gelu = x.gelu().scalars, silu = x.silu().scalars, quick = x.quickGELU().scalars
        // GELU(1) = Φ(1) = 0.8413447460685429; SiLU(1) = 1/(1+e^-1) = 0.7310585786300049.
        #expect(abs(gelu[2] - 0.8413447) < 1e-6 && abs(gelu[0] + 0.1586553) < 1e-6 && gelu[1] == 0)
        #expect(abs(silu[2] - 0.7310586) < 1e-6 && abs(silu[3] - 1.7615942) < 1e-6)
        #expect(abs(quick[2] - 1 / (1 + exp(-1.702))) < 1e-6)
        let gg = Tensor(shape: [1, 4], scalars: [2, 3, 1, -1]).geglu()
        #expect(gg.shape == [1, 2] && abs(gg.scalars[0] - 2 * 0.8413447) < 1e-5 && abs(gg.scalars[1] - 3 * -0.1586553) < 1e-5)
    }

    /// The vectorised GEGLU (erf by Abramowitz & Stegun) against libm's erf over [−6, 6] and odd widths.
    @Test func gegluMatchesLibmErf() {
        let d = 37, rows = 50
        let x = Tensor(shape: [rows, 2 * d], scalars: (0..<(rows * 2 * d)).map { Float($0 % 241) / 20 - 6 })
        let out = x.geglu()
        var worst: Float = 0
        for r in 0..<rows {
            for i in 0..<d {
                let h = x.scalars[r * 2 * d + i], g = x.scalars[r * 2 * d + d + i]
                let expected = h * 0.5 * g * (1 + erf(g * 0.70710678118654752))
                worst = max(worst, abs(out.scalars[r * d + i] - expected))
            }
        }
        // |h·g/2| ≤ 18 times erf's 1.5e-7, plus rounding.
        #expect(worst < 5e-6)
    }

    /// Every permutation of ranks 1–4 (size-1 axes included, to exercise the axis merging), against an index-by-index
    /// reference; exact, since values only move.
    @Test func permutationsMatchNaiveIndexing() {
        func permutations(_ n: Int) -> [[Int]] {
            n == 0 ? [[]] : permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
        }
        func naive(_ x: Tensor, _ axes: [Int]) -> [Float] {
            let shape = axes.map { x.shape[$0] }
            let sourceStrides = (0..<x.rank).map { x.shape[($0 + 1)...].reduce(1, *) }
            return (0..<x.count).map { flat in
                var rest = flat, offset = 0
                for d in stride(from: shape.count - 1, through: 0, by: -1) {
                    offset += (rest % shape[d]) * sourceStrides[axes[d]]
                    rest /= shape[d]
                }
                return x.scalars[offset]
            }
        }
        for shape in [[7], [3, 5], [1, 17], [2, 3, 4], [3, 1, 40], [2, 33, 19], [2, 3, 1, 5], [2, 9, 34, 3], [1, 2, 1, 3]] {
            let x = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float($0) * 0.5 - 3 })
            for axes in permutations(shape.count) {
                let p = x.permuted(axes)
                #expect(p.shape == axes.map { shape[$0] }, "\(shape) by \(axes)")
                #expect(p.scalars == naive(x, axes), "\(shape) by \(axes)")
            }
        }
        // Large enough to run on both cores: the UNet's [N, C, HW] → [N, HW, C] and its frame reorder.
        let big = Tensor(shape: [2, 320, 1024], scalars: (0..<(2 * 320 * 1024)).map { Float($0 % 9973) })
        #expect(big.permuted([0, 2, 1]).scalars == naive(big, [0, 2, 1]))
        let frames = big.reshaped([2, 4, 80, 1024])
        #expect(frames.permuted([0, 2, 1, 3]).scalars == naive(frames, [0, 2, 1, 3]))
    }

    @Test func shapeOperations() {
        let x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        let p = x.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        // p[d, a, b] = x[a, b, d]
        #expect(p.scalars[(3 * 2 + 1) * 3 + 2] == x.scalars[(1 * 3 + 2) * 4 + 3])
        #expect(p.permuted([1, 2, 0]) == x)
        let c = Tensor.concat([x, x.slice(axis: 1, 1..<2)], axis: 1)
        #expect(c.shape == [2, 4, 4] && c.slice(axis: 1, 0..<3) == x && c.slice(axis: 1, 3..<4) == x.slice(axis: 1, 1..<2))
        #expect(Tensor.concat(x.chunked(2, axis: 2), axis: 2) == x)
        let up = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]).upsampledNearest2x()
        #expect(up.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        #expect(x.reshaped([6, -1]).shape == [6, 4])
    }

    @Test func timestepEmbeddingAtKnownValues() {
        // t = 0: sin terms 0, cos terms 1; frequency i: exp(−ln(10000)·i/half).
        let e = timestepEmbedding([0, 10], dim: 8, flipSinToCos: true, downscaleFreqShift: 0)
        #expect(Array(e.scalars[0..<8]) == [1, 1, 1, 1, 0, 0, 0, 0])
        let f1 = exp(-log(Float(10000)) / 4)
        #expect(abs(e.scalars[8 + 1] - cos(10 * f1)) < 1e-6 && abs(e.scalars[8 + 5] - sin(10 * f1)) < 1e-6)
    }
}
