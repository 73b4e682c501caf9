/// How `conv2d` computes: im2col + one GEMM, or Winograd F(4x4, 3x3) for 3x3 stride-1 padding-1 kernels
/// (`Tensor+Winograd.swift`); `.automatic` picks Winograd where it pays.
public enum ConvAlgorithm: Sendable {
    case automatic, im2col, winograd

    /// What `.automatic` means process-wide (benchmarks set `.im2col` to measure what Winograd buys).
    nonisolated(unsafe) public static var automaticChoice = ConvAlgorithm.automatic
}

/// 2-D convolution as PyTorch `nn.Conv2d` (groups = 1, dilation = 1), by im2col + GEMM or Winograd.
extension Tensor {
    /// Largest im2col buffer in floats (64 MB); taller outputs are processed in bands of rows.
    public static let im2colBudget = 16 << 20

    /// - self: [N, C, H, W]; weight: [O, C, kH, kW]; bias: [O] → [N, O, Ho, Wo],
    ///   Ho = (H + 2·padding − kH) / stride + 1 (likewise Wo).
    public func conv2d(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                       im2colBudget: Int = Tensor.im2colBudget, algorithm: ConvAlgorithm = .automatic) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d: input \(shape), weight \(weight.shape)")
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
        let chosen = algorithm == .automatic ? ConvAlgorithm.automaticChoice : algorithm
        let winograd = kh == 3 && kw == 3 && stride == 1 && padding == 1 && (chosen == .winograd
            || (chosen == .automatic && Tensor.prefersWinograd(n: n, c: c, o: o, h: h, w: w, kh: kh, kw: kw,
                                                                  stride: stride, padding: padding)))
        if winograd { return conv3x3Winograd(weight: weight, bias: bias) }
        let ho = (h + 2 * padding - kh) / stride + 1, wo = (w + 2 * padding - kw) / stride + 1
        precondition(ho > 0 && wo > 0, "conv2d: kernel \(kh)x\(kw) larger than padded input \(h)x\(w)")
        let kdim = c * kh * kw, plane = ho * wo
        // Every output element is written (GEMMs with β = 0, or the grouped path's copies): no zero fill.
        var out = Tensor(shape: [n, o, ho, wo], scalars: Tensor.unfilled(n * o * ho * wo))
        let direct = kh == 1 && kw == 1 && stride == 1 && padding == 0
        // Small planes: several images side by side in one GEMM ([O, K] · [K, g·plane]), so the weights are read
        // once per group instead of once per image (deep UNet layers: 8x8 planes, K = 11520).
        let group = min(n, im2colBudget / max(1, kdim * plane))
        if group >= 2 {
            convGrouped(weight: weight, into: &out, images: group, kdim: kdim, ho: ho, wo: wo, stride: stride,
                        padding: padding, direct: direct)
        } else {
            convPerImage(weight: weight, into: &out, kdim: kdim, ho: ho, wo: wo, stride: stride, padding: padding,
                         direct: direct, im2colBudget: im2colBudget)
        }
        if let bias { return out.addingChannelBias(bias) }
        return out
    }

    /// One image at a time: a 1x1 convolution is one GEMM on the image itself; otherwise the output rows go
    /// through in bands whose im2col buffer [K, rows·Wo] stays within `im2colBudget` floats.
    func convPerImage(weight: Tensor, into out: inout Tensor, kdim: Int, ho: Int, wo: Int, stride: Int, padding: Int,
                      direct: Bool, im2colBudget: Int) {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3], plane = ho * wo
        let bandRows = max(1, min(ho, im2colBudget / max(1, kdim * wo)))
        var col = direct ? [] : Tensor.unfilled(kdim * bandRows * wo)

        out.scalars.withUnsafeMutableBufferPointer { op in
            scalars.withUnsafeBufferPointer { xp in
                weight.scalars.withUnsafeBufferPointer { wp in
                    col.withUnsafeMutableBufferPointer { cp in
                        for b in 0..<n {
                            let x = xp.baseAddress! + b * c * h * w
                            let y = op.baseAddress! + b * o * plane
                            if direct {
                                Tensor.sgemm(transA: false, transB: false, m: o, n: plane, k: c,
                                             a: wp.baseAddress!, lda: c, b: x, ldb: plane, c: y, ldc: plane)
                                continue
                            }
                            var row0 = 0
                            while row0 < ho {
                                let rows = min(bandRows, ho - row0), cols = rows * wo
                                Tensor.im2col(x, channels: c, height: h, width: w, kh: kh, kw: kw, stride: stride,
                                              padding: padding, outWidth: wo, rows: row0..<(row0 + rows),
                                              into: SharedPointer(base: cp.baseAddress!), ld: cols)
                                Tensor.sgemm(transA: false, transB: false, m: o, n: cols, k: kdim,
                                             a: wp.baseAddress!, lda: kdim, b: cp.baseAddress!, ldb: cols,
                                             c: y + row0 * wo, ldc: plane)
                                row0 += rows
                            }
                        }
                    }
                }
            }
        }
    }

    /// `images` images per GEMM: col [K, g·plane] (image i in columns i·plane ..< (i+1)·plane), one GEMM into
    /// y [O, g·plane], then each image's [O, plane] block copied to its place in out [N, O, plane].
    func convGrouped(weight: Tensor, into out: inout Tensor, images group: Int, kdim: Int, ho: Int, wo: Int,
                     stride: Int, padding: Int, direct: Bool) {
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3], plane = ho * wo
        // Fully written before read: im2col writes padding zeros itself, the GEMM has β = 0.
        var col = Tensor.unfilled(kdim * group * plane)
        var y = Tensor.unfilled(o * group * plane)
        out.scalars.withUnsafeMutableBufferPointer { op in
            scalars.withUnsafeBufferPointer { xp in
                weight.scalars.withUnsafeBufferPointer { wp in
                    col.withUnsafeMutableBufferPointer { cp in
                        y.withUnsafeMutableBufferPointer { yp in
                            let Y = SharedPointer(base: yp.baseAddress!), O = SharedPointer(base: op.baseAddress!)
                            let C = SharedPointer(base: cp.baseAddress!), X = UnsafeRawPointer(xp.baseAddress!)
                            var b0 = 0
                            while b0 < n {
                                let g = min(group, n - b0), ld = g * plane
                                for i in 0..<g {
                                    if direct {
                                        parallelChunks(c, minimumPerChunk: 16) { range in
                                            let src = X.assumingMemoryBound(to: Float.self) + (b0 + i) * c * plane
                                            for ch in range {
                                                (C.base + ch * ld + i * plane).update(from: src + ch * plane, count: plane)
                                            }
                                        }
                                    } else {
                                        Tensor.im2col(xp.baseAddress! + (b0 + i) * c * h * w, channels: c, height: h, width: w, kh: kh, kw: kw, stride: stride,
                                                      padding: padding, outWidth: wo, rows: 0..<ho,
                                                      into: SharedPointer(base: C.base + i * plane), ld: ld)
                                    }
                                }
                                Tensor.sgemm(transA: false, transB: false, m: o, n: ld, k: kdim,
                                             a: wp.baseAddress!, lda: kdim, b: C.base, ldb: ld, c: Y.base, ldc: ld)
                                parallelChunks(o, minimumPerChunk: 16) { range in
                                    for i in 0..<g {
                                        let dst = O.base + (b0 + i) * o * plane
                                        for ch in range {
                                            (dst + ch * plane).update(from: Y.base + ch * ld + i * plane, count: plane)
                                        }
                                    }
                                }
                                b0 += g
                            }
                        }
                    }
                }
            }
        }
    }

    /// Unfolds output rows `rows` of one image into `col`: [C·kH·kW, rows·Wo] with rows `ld` floats apart (zeros
    /// where the window reaches into the padding).
    static func im2col(_ x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, kh: Int, kw: Int,
                       stride: Int, padding: Int, outWidth wo: Int, rows: Range<Int>, into col: SharedPointer, ld: Int) {
        let cols = ld
        let xs = UnsafeRawPointer(x)
        parallelChunks(c * kh * kw, minimumPerChunk: 8) { range in
            let xp = xs.assumingMemoryBound(to: Float.self)
            for r in range {
                let ch = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                let dst = col.base + r * cols
                for (i, oy) in rows.enumerated() {
                    let iy = oy * stride - padding + ky
                    let d = dst + i * wo
                    if iy < 0 || iy >= h {
                        for ox in 0..<wo { d[ox] = 0 }
                        continue
                    }
                    let srcRow = xp + (ch * h + iy) * w
                    if stride == 1 {
                        // ix = ox − padding + kx: zeros, one contiguous run of the input row, zeros.
                        let lo = min(wo, max(0, padding - kx)), hi = max(lo, min(wo, w + padding - kx))
                        for ox in 0..<lo { d[ox] = 0 }
                        if hi > lo { (d + lo).update(from: srcRow + (lo - padding + kx), count: hi - lo) }
                        for ox in hi..<wo { d[ox] = 0 }
                        continue
                    }
                    for ox in 0..<wo {
                        let ix = ox * stride - padding + kx
                        d[ox] = (ix >= 0 && ix < w) ? srcRow[ix] : 0
                    }
                }
            }
        }
    }
}
