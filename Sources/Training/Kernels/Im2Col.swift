import Tensors

/// The unfold/fold pair behind convolution gradients. For one image x: [C, H, W] and a kH×kW window with
/// `stride` and zero `padding`, output rows `rows` (of Ho) and all Wo columns:
///
///     col[(c·kH + ky)·kW + kx, i·Wo + ox] = x[c, oy·stride − padding + ky, ox·stride − padding + kx]   (oy = rows[i])
///
/// (zero where the window reaches into the padding). `col2im` is its adjoint: it adds every column entry back
/// to the input position it was read from, so Σ overlapping windows land on the same pixel.
struct ConvGeometry {
    let channels, height, width, kh, kw, stride, padding, outHeight, outWidth: Int

    var kdim: Int { channels * kh * kw }

    /// x: one image [C, H, W] → col: [C·kH·kW, rows·Wo] (overwritten).
    func im2col(_ x: UnsafePointer<Float>, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let cols = rows.count * outWidth
        let xs = UnsafeRawPointer(x), dst = SharedFloats(base: col)
        parallelChunks(kdim, minimumPerChunk: 8) { range in
            let xp = xs.assumingMemoryBound(to: Float.self)
            for r in range {
                let ch = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                for (i, oy) in rows.enumerated() {
                    let iy = oy * stride - padding + ky
                    let d = dst.base + r * cols + i * outWidth
                    guard iy >= 0 && iy < height else {
                        for ox in 0..<outWidth { d[ox] = 0 }
                        continue
                    }
                    let src = xp + (ch * height + iy) * width
                    for ox in 0..<outWidth {
                        let ix = ox * stride - padding + kx
                        d[ox] = ix >= 0 && ix < width ? src[ix] : 0
                    }
                }
            }
        }
    }

    /// col: [C·kH·kW, rows·Wo] → adds into dx: one image [C, H, W]. Parallel over channels (rows of one
    /// channel touch only that channel's plane).
    func col2im(_ col: UnsafePointer<Float>, rows: Range<Int>, addingInto dx: UnsafeMutablePointer<Float>) {
        let cols = rows.count * outWidth
        let cs = UnsafeRawPointer(col), dst = SharedFloats(base: dx)
        parallelChunks(channels) { range in
            let cp = cs.assumingMemoryBound(to: Float.self)
            for ch in range {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let r = (ch * kh + ky) * kw + kx
                        for (i, oy) in rows.enumerated() {
                            let iy = oy * stride - padding + ky
                            guard iy >= 0 && iy < height else { continue }
                            let s = cp + r * cols + i * outWidth
                            let d = dst.base + (ch * height + iy) * width
                            for ox in 0..<outWidth {
                                let ix = ox * stride - padding + kx
                                if ix >= 0 && ix < width { d[ix] += s[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}
