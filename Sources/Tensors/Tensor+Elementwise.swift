import CKernels
import Foundation

/// Elementwise arithmetic and activations. Shapes must match exactly unless a broadcast is named.
extension Tensor {
    /// Applies `f` to every element, in parallel for large tensors.
    public func map(_ f: @Sendable (Float) -> Float) -> Tensor {
        let src = scalars
        return Tensor(shape: shape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { s in
                let sp = s.baseAddress!
                parallelChunks(s.count, minimumPerChunk: 1 << 15) { r in
                    for i in r { dst.base[i] = f(sp[i]) }
                }
            }
        }
    }

    /// Combines two same-shaped tensors elementwise.
    public func zipMap(_ other: Tensor, _ f: @Sendable (Float, Float) -> Float) -> Tensor {
        elementwise(other) { x, y, o, r in for i in r { o[i] = f(x[i], y[i]) } }
    }

    /// The three arithmetic operators as plain loops the compiler vectorises (`zipMap` calls its closure per element).
    private enum Arithmetic { case add, subtract, multiply }

    private func combined(_ other: Tensor, _ op: Arithmetic) -> Tensor {
        elementwise(other) { x, y, o, r in
            switch op {
            case .add: for i in r { o[i] = x[i] + y[i] }
            case .subtract: for i in r { o[i] = x[i] - y[i] }
            case .multiply: for i in r { o[i] = x[i] * y[i] }
            }
        }
    }

    /// A same-shaped result whose range `r` of elements `chunk(x, y, out, r)` writes from the two operands, in
    /// parallel chunks for large tensors.
    private func elementwise(_ other: Tensor,
                             _ chunk: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> Tensor {
        precondition(shape == other.shape, "elementwise op: shapes \(shape) and \(other.shape) differ")
        let a = scalars, b = other.scalars
        return Tensor(shape: shape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    let x = ap.baseAddress!, y = bp.baseAddress!
                    parallelChunks(ap.count, minimumPerChunk: 1 << 15) { r in chunk(x, y, dst.base, r) }
                }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.combined(b, .add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.combined(b, .subtract) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.combined(b, .multiply) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }

    /// Adds `bias` [C] along axis 1 of a `[N, C, ...]` tensor (a per-channel bias).
    public func addingChannelBias(_ bias: Tensor) -> Tensor {
        precondition(rank >= 2 && bias.count == shape[1], "channel bias: \(bias.shape) for \(shape)")
        let n = shape[0], c = shape[1], inner = count / (n * c)
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { o in
            let dst = SharedPointer(base: o.baseAddress!)
            bias.scalars.withUnsafeBufferPointer { b in
                let bp = b.baseAddress!
                parallelChunks(n * c, minimumPerChunk: max(1, (1 << 15) / max(1, inner))) { range in
                    for i in range {
                        let v = bp[i % c], plane = dst.base + i * inner
                        for j in 0..<inner { plane[j] += v }
                    }
                }
            }
        }
        return out
    }

    /// Adds `row` [D] to every row of a `[..., D]` tensor.
    public func addingRow(_ row: Tensor) -> Tensor {
        let d = shape.last ?? 0
        precondition(row.count == d, "row add: \(row.shape) for \(shape)")
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { o in
            let dst = SharedPointer(base: o.baseAddress!)
            row.scalars.withUnsafeBufferPointer { r in
                let rp = r.baseAddress!
                parallelChunks(count / max(d, 1), minimumPerChunk: max(1, (1 << 15) / max(1, d))) { range in
                    for i in range {
                        let line = dst.base + i * d
                        for j in 0..<d { line[j] += rp[j] }
                    }
                }
            }
        }
        return out
    }

    // MARK: Activations

    /// SiLU / swish: x·σ(x).
    public func silu() -> Tensor { map { $0 / (1 + exp(-$0)) } }
    /// GELU with the exact erf form (PyTorch `gelu`, approximate="none"): x·Φ(x).
    public func gelu() -> Tensor { map { 0.5 * $0 * (1 + erf($0 * 0.70710678118654752)) } }
    /// QuickGELU (CLIP): x·σ(1.702·x).
    /// Vectorised C (`ck_quick_gelu`) on both cores: a closure call and a libm `exp` per element made it ~10% of
    /// the text encoder.
    public func quickGELU() -> Tensor {
        let src = scalars
        return Tensor(shape: shape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { s in
                guard s.count > 0 else { return }
                let sp = SharedPointer(base: UnsafeMutablePointer(mutating: s.baseAddress!))
                parallelChunks(s.count, minimumPerChunk: 1 << 15) { r in
                    ck_quick_gelu(sp.base + r.lowerBound, dst.base + r.lowerBound, r.count)
                }
            }
        }
    }
    public func sigmoid() -> Tensor { map { 1 / (1 + exp(-$0)) } }

    /// GEGLU (diffusers `GEGLU` after its projection): splits the last axis `[..., 2D]` into (h, g), returns h·GELU(g).
    public func geglu() -> Tensor {
        let d2 = shape.last!, d = d2 / 2, rows = count / d2
        precondition(d2 % 2 == 0, "GEGLU: last axis \(d2) is odd")
        var outShape = shape
        outShape[outShape.count - 1] = d
        let src = scalars
        return Tensor(shape: outShape) { out in
            let dst = SharedPointer(base: out.baseAddress!)
            src.withUnsafeBufferPointer { s in
                let sp = s.baseAddress!
                parallelChunks(rows, minimumPerChunk: max(1, 4096 / max(d, 1))) { r in
                    ck_geglu(sp + r.lowerBound * d2, dst.base + r.lowerBound * d, r.count, d)
                }
            }
        }
    }
}
