import Tensors

/// 2-D convolution (`nn.Conv2d`, groups 1, dilation 1) and its gradients through im2col/col2im + GEMM.
///
/// Per image b, with col_b = im2col(x_b): [C·kH·kW, Ho·Wo], W as [O, C·kH·kW] and G_b = ∂loss/∂y_b: [O, Ho·Wo]:
///   y_b = W·col_b (+ bias),  ∂W = Σ_b G_b·col_bᵀ,  ∂x_b = col2im(Wᵀ·G_b),  ∂bias = Σ_{b, positions} G.
/// Columns are built in bands of output rows so the buffer stays under `Tensor.im2colBudget` floats.
extension Variable {
    /// self: [N, C, H, W]; weight: [O, C, kH, kW]; bias: [O] → [N, O, Ho, Wo], Ho = (H + 2·padding − kH)/stride + 1.
    public func conv2d(weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0) -> Variable {
        let y = value.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
        let geometry = ConvGeometry(channels: shape[1], height: shape[2], width: shape[3], kh: weight.shape[2],
                                    kw: weight.shape[3], stride: stride, padding: padding,
                                    outHeight: y.shape[2], outWidth: y.shape[3])
        let (n, o) = (shape[0], weight.shape[0])
        return Self.record(y, inputs: [self, weight, bias]) { needs in
            let x = needs[1] ? value : nil, w = needs[0] ? weight.value : nil, inShape = shape
            return { g in
                let (dx, dw) = Self.convBackward(g, x: x, w: w, inputShape: inShape, batch: n, outChannels: o,
                                                 geometry: geometry)
                let plane = geometry.outHeight * geometry.outWidth
                return [dx, dw, needs[2] ? g.sumInner(groups: n, channels: o, inner: plane) : nil]
            }
        }
    }

    /// ∂x (when `w` is given) and ∂W (when `x` is given) of a convolution, from g: [N, O, Ho, Wo]; the column
    /// buffer holds at most `bandBudget` floats (at least one output row).
    static func convBackward(_ g: Tensor, x: Tensor?, w: Tensor?, inputShape: [Int], batch n: Int, outChannels o: Int,
                             geometry p: ConvGeometry, bandBudget: Int = Tensor.im2colBudget) -> (Tensor?, Tensor?) {
        let kdim = p.kdim, plane = p.outHeight * p.outWidth, inPlane = p.height * p.width
        let direct = p.kh == 1 && p.kw == 1 && p.stride == 1 && p.padding == 0
        let bandRows = Swift.max(1, Swift.min(p.outHeight, bandBudget / Swift.max(1, kdim * p.outWidth)))
        var col = direct ? [] : [Float](repeating: 0, count: kdim * bandRows * p.outWidth)
        var dxBuf = [Float](repeating: 0, count: w == nil ? 0 : n * p.channels * inPlane)
        var dwBuf = [Float](repeating: 0, count: x == nil ? 0 : o * kdim)
        g.scalars.withUnsafeBufferPointer { gp in
            (x?.scalars ?? []).withUnsafeBufferPointer { xp in
                (w?.scalars ?? []).withUnsafeBufferPointer { wp in
                    dxBuf.withUnsafeMutableBufferPointer { dxp in
                        dwBuf.withUnsafeMutableBufferPointer { dwp in
                            col.withUnsafeMutableBufferPointer { cp in
                                for b in 0..<n {
                                    let gb = gp.baseAddress! + b * o * plane
                                    if direct {
                                        // 1×1: col_b is x_b itself ([C, H·W]).
                                        if x != nil {
                                            gemm(transB: true, m: o, n: p.channels, k: plane, a: gb, lda: plane,
                                                 b: xp.baseAddress! + b * p.channels * inPlane, ldb: plane,
                                                 beta: 1, c: dwp.baseAddress!, ldc: p.channels)
                                        }
                                        if w != nil {
                                            gemm(transA: true, m: p.channels, n: plane, k: o, a: wp.baseAddress!, lda: p.channels,
                                                 b: gb, ldb: plane, c: dxp.baseAddress! + b * p.channels * inPlane, ldc: plane)
                                        }
                                        continue
                                    }
                                    var row0 = 0
                                    while row0 < p.outHeight {
                                        let rows = row0..<Swift.min(p.outHeight, row0 + bandRows), cols = rows.count * p.outWidth
                                        let gBand = gb + row0 * p.outWidth
                                        if x != nil {
                                            p.im2col(xp.baseAddress! + b * p.channels * inPlane, rows: rows, into: cp.baseAddress!)
                                            gemm(transB: true, m: o, n: kdim, k: cols, a: gBand, lda: plane,
                                                 b: cp.baseAddress!, ldb: cols, beta: 1, c: dwp.baseAddress!, ldc: kdim)
                                        }
                                        if w != nil {
                                            gemm(transA: true, m: kdim, n: cols, k: o, a: wp.baseAddress!, lda: kdim,
                                                 b: gBand, ldb: plane, c: cp.baseAddress!, ldc: cols)
                                            p.col2im(cp.baseAddress!, rows: rows,
                                                     addingInto: dxp.baseAddress! + b * p.channels * inPlane)
                                        }
                                        row0 = rows.upperBound
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (w == nil ? nil : Tensor(shape: inputShape, scalars: dxBuf),
                x == nil ? nil : Tensor(shape: [o, p.channels, p.kh, p.kw], scalars: dwBuf))
    }
}
