import Tensors

/// Layout operations. Their gradients move values back: reshape reshapes, permute applies the inverse
/// permutation, concat slices, slice scatters into zeros, nearest upsampling sums each source pixel's copies.
extension Variable {
    /// Same values, another shape (one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Variable {
        let old = shape
        return Self.record(value.reshaped(newShape), inputs: [self]) { _ in { g in [g.reshaped(old)] } }
    }

    /// Axes reordered (values moved): `permuted([0, 2, 1])` turns [B, T, D] into [B, D, T].
    public func permuted(_ axes: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Self.record(value.permuted(axes), inputs: [self]) { _ in { g in [g.permuted(inverse)] } }
    }

    /// Joins `parts` along `axis`; other dimensions must agree.
    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        let sizes = parts.map { $0.shape[axis] }
        return record(Tensor.concat(parts.map(\.value), axis: axis), inputs: parts) { needs in
            { g in
                var start = 0
                return zip(sizes, needs).map { size, need in
                    defer { start += size }
                    return need ? g.slice(axis: axis, start..<(start + size)) : nil
                }
            }
        }
    }

    /// The range `range` of `axis` (like `narrow`).
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let full = shape
        return Self.record(value.slice(axis: axis, range), inputs: [self]) { _ in
            { g in
                let outer = full[..<axis].reduce(1, *), inner = full[(axis + 1)...].reduce(1, *)
                var dx = Tensor(shape: full)
                dx.scalars.withUnsafeMutableBufferPointer { d in
                    g.scalars.withUnsafeBufferPointer { gp in
                        let block = range.count * inner
                        for o in 0..<outer {
                            let dst = (o * full[axis] + range.lowerBound) * inner
                            for i in 0..<block { d[dst + i] = gp[o * block + i] }
                        }
                    }
                }
                return [dx]
            }
        }
    }

    /// `parts` equal pieces of `axis` (like `torch.chunk`).
    public func chunked(_ parts: Int, axis: Int) -> [Variable] {
        precondition(shape[axis] % parts == 0, "chunk: axis \(axis) of \(shape) not divisible by \(parts)")
        let n = shape[axis] / parts
        return (0..<parts).map { slice(axis: axis, ($0 * n)..<(($0 + 1) * n)) }
    }

    /// Nearest ×2 of the last two axes: [N, C, H, W] → [N, C, 2H, 2W]. ∂x = Σ of each 2×2 block.
    public func upsampledNearest2x() -> Variable {
        let (h, w) = (shape[2], shape[3]), old = shape
        return Self.record(value.upsampledNearest2x(), inputs: [self]) { _ in
            { g in
                var dx = Tensor(shape: old)
                dx.scalars.withUnsafeMutableBufferPointer { d in
                    g.scalars.withUnsafeBufferPointer { gp in
                        for p in 0..<(old[0] * old[1]) {
                            for y in 0..<h {
                                let r0 = (p * 2 * h + 2 * y) * 2 * w, r1 = r0 + 2 * w
                                for x in 0..<w {
                                    d[(p * h + y) * w + x] = gp[r0 + 2 * x] + gp[r0 + 2 * x + 1] + gp[r1 + 2 * x] + gp[r1 + 2 * x + 1]
                                }
                            }
                        }
                    }
                }
                return [dx]
            }
        }
    }

    /// Nearest resize of the last two axes to oh × ow (source index ⌊dst·in/out⌋, as `F.interpolate`
    /// mode "nearest"). ∂x adds each output pixel's gradient to its source.
    public func resizedNearest(height oh: Int, width ow: Int) -> Variable {
        let (h, w) = (shape[2], shape[3]), old = shape
        return Self.record(value.resizedNearest(height: oh, width: ow), inputs: [self]) { _ in
            { g in
                var dx = Tensor(shape: old)
                for p in 0..<(old[0] * old[1]) {
                    for y in 0..<oh {
                        let sy = Swift.min(h - 1, y * h / oh)
                        for x in 0..<ow {
                            dx.scalars[(p * h + sy) * w + Swift.min(w - 1, x * w / ow)] += g.scalars[(p * oh + y) * ow + x]
                        }
                    }
                }
                return [dx]
            }
        }
    }

    /// Zero padding of the last two axes: [N, C, H, W] → [N, C, top + H + bottom, left + W + right]
    /// (diffusers' Downsample2D with padding 0 pads right and bottom by one). ∂x is the centre crop of g.
    public func padded(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) -> Variable {
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3]), old = shape
        let (ph, pw) = (h + top + bottom, w + left + right)
        var out = Tensor(shape: [shape[0], shape[1], ph, pw])
        out.scalars.withUnsafeMutableBufferPointer { o in
            value.scalars.withUnsafeBufferPointer { s in
                for p in 0..<planes { for y in 0..<h { for x in 0..<w {
                    o[(p * ph + y + top) * pw + x + left] = s[(p * h + y) * w + x]
                } } }
            }
        }
        return Self.record(out, inputs: [self]) { _ in
            { g in
                var dx = Tensor(shape: old)
                for p in 0..<planes { for y in 0..<h { for x in 0..<w {
                    dx.scalars[(p * h + y) * w + x] = g.scalars[(p * ph + y + top) * pw + x + left]
                } } }
                return [dx]
            }
        }
    }
}
