/// Moving values between layouts: permutation, concatenation, slicing, nearest upsampling.
extension Tensor {
    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat: nothing to join")
        let first = parts[0]
        for p in parts {
            precondition(p.rank == first.rank && p.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                         "concat along \(axis): \(p.shape) vs \(first.shape)")
        }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        var scalars: [Float] = []
        scalars.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for p in parts {
                let block = p.shape[axis] * inner
                scalars.append(contentsOf: p.scalars[(o * block)..<((o + 1) * block)])
            }
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// The range `range` of `axis` (like `x.narrow(axis, start, length)`).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) of axis \(axis) in \(shape)")
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var newShape = shape
        newShape[axis] = range.count
        var scalars: [Float] = []
        scalars.reserveCapacity(newShape.reduce(1, *))
        for o in 0..<outer {
            let base = (o * shape[axis] + range.lowerBound) * inner
            scalars.append(contentsOf: self.scalars[base..<(base + range.count * inner)])
        }
        return Tensor(shape: newShape, scalars: scalars)
    }

    /// Splits `axis` into `parts` equal pieces (like `torch.chunk`).
    public func chunked(_ parts: Int, axis: Int) -> [Tensor] {
        precondition(shape[axis] % parts == 0, "chunk: axis \(axis) of \(shape) not divisible by \(parts)")
        let n = shape[axis] / parts
        return (0..<parts).map { slice(axis: axis, ($0 * n)..<(($0 + 1) * n)) }
    }

    /// Nearest-neighbour upsampling by 2 of the last two axes: [N, C, H, W] → [N, C, 2H, 2W].
    public func upsampledNearest2x() -> Tensor {
        precondition(rank == 4, "upsample: expects [N, C, H, W], got \(shape)")
        let planes = shape[0] * shape[1], h = shape[2], w = shape[3]
        let src = scalars
        return Tensor(shape: [shape[0], shape[1], 2 * h, 2 * w]) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { sp in
                let s = sp.baseAddress!
                parallelChunks(planes) { range in
                    for p in range {
                        for y in 0..<h {
                            let row = s + (p * h + y) * w
                            let o0 = dst.base + (p * 2 * h + 2 * y) * 2 * w
                            for x in 0..<w { o0[2 * x] = row[x]; o0[2 * x + 1] = row[x] }
                            (o0 + 2 * w).update(from: o0, count: 2 * w)
                        }
                    }
                }
            }
        }
    }

    /// Nearest-neighbour resize of the last two axes to any size, as `F.interpolate(mode="nearest", size=…)`:
    /// source index = ⌊dst · in / out⌋.
    public func resizedNearest(height oh: Int, width ow: Int) -> Tensor {
        precondition(rank == 4, "resize: expects [N, C, H, W], got \(shape)")
        let planes = shape[0] * shape[1], h = shape[2], w = shape[3]
        var out = Tensor(shape: [shape[0], shape[1], oh, ow])
        for p in 0..<planes {
            for y in 0..<oh {
                let sy = min(h - 1, y * h / oh)
                for x in 0..<ow { out.scalars[(p * oh + y) * ow + x] = scalars[(p * h + sy) * w + min(w - 1, x * w / ow)] }
            }
        }
        return out
    }
}
