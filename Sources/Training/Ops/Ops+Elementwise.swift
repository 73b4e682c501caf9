import Foundation
import Tensors

/// Elementwise arithmetic and broadcast biases. Same-shape operands unless a broadcast is named; forward values
/// come from the Tensors kernels, so they equal the inference code's bit for bit.
extension Variable {
    /// a + b, same shapes. ∂a = g, ∂b = g.
    public static func + (a: Variable, b: Variable) -> Variable {
        record(a.value + b.value, inputs: [a, b]) { needs in { g in [needs[0] ? g : nil, needs[1] ? g : nil] } }
    }

    /// a − b, same shapes. ∂a = g, ∂b = −g.
    public static func - (a: Variable, b: Variable) -> Variable {
        record(a.value - b.value, inputs: [a, b]) { needs in { g in [needs[0] ? g : nil, needs[1] ? g * -1 : nil] } }
    }

    /// a ⊙ b, same shapes. ∂a = g ⊙ b, ∂b = g ⊙ a.
    public static func * (a: Variable, b: Variable) -> Variable {
        record(a.value * b.value, inputs: [a, b]) { needs in
            let av = needs[1] ? a.value : nil, bv = needs[0] ? b.value : nil
            return { g in [bv.map { g * $0 }, av.map { g * $0 }] }
        }
    }

    /// a · s for a constant s. ∂a = g · s.
    public static func * (a: Variable, s: Float) -> Variable {
        record(a.value * s, inputs: [a]) { _ in { g in [g * s] } }
    }

    /// a + s for a constant s. ∂a = g.
    public static func + (a: Variable, s: Float) -> Variable {
        record(a.value + s, inputs: [a]) { _ in { g in [g] } }
    }

    public static prefix func - (a: Variable) -> Variable { a * -1 }

    /// Values limited to [lower, upper] (`torch.clamp`); the gradient passes where lower ≤ x ≤ upper.
    public func clamped(min lower: Float, max upper: Float) -> Variable {
        Self.record(value.map { Swift.min(Swift.max($0, lower), upper) }, inputs: [self]) { _ in
            let x = value
            return { g in [g.zipMap(x) { $1 >= lower && $1 <= upper ? $0 : 0 }] }
        }
    }

    /// eˣ elementwise. ∂x = g ⊙ eˣ.
    public func exp() -> Variable {
        let y = value.map { Foundation.exp($0) }
        return Self.record(y, inputs: [self]) { _ in { g in [g * y] } }
    }

    /// Per-channel bias: self [N, C, ...] + bias [C] along axis 1. ∂bias_c = Σ_{n, positions} g.
    public func addingChannelBias(_ bias: Variable) -> Variable {
        let (n, c) = (shape[0], shape[1]), inner = value.count / max(n * c, 1)
        return Self.record(value.addingChannelBias(bias.value), inputs: [self, bias]) { needs in
            { g in [needs[0] ? g : nil, needs[1] ? g.sumInner(groups: n, channels: c, inner: inner) : nil] }
        }
    }

    /// Per-sample, per-channel offsets: self [N, C, H, W] + t [N, C] broadcast over H·W (the time embedding a
    /// ResnetBlock2D adds). ∂t_{n,c} = Σ_positions g.
    public func addingPerChannel(_ t: Variable) -> Variable {
        let (n, c) = (shape[0], shape[1]), plane = value.count / max(n * c, 1)
        precondition(t.shape == [n, c], "per-channel add: \(t.shape) for \(shape)")
        var out = value
        out.scalars.withUnsafeMutableBufferPointer { o in
            t.value.scalars.withUnsafeBufferPointer { tp in
                for i in 0..<(n * c) {
                    let v = tp[i]
                    for j in 0..<plane { o[i * plane + j] += v }
                }
            }
        }
        return Self.record(out, inputs: [self, t]) { needs in
            { g in [needs[0] ? g : nil, needs[1] ? g.sumInner(groups: 1, channels: n * c, inner: plane).reshaped([n, c]) : nil] }
        }
    }

    /// self [..., D] + row [D] added to every row. ∂row = Σ_rows g.
    public func addingRow(_ row: Variable) -> Variable {
        let d = shape.last ?? 0
        return Self.record(value.addingRow(row.value), inputs: [self, row]) { needs in
            { g in [needs[0] ? g : nil, needs[1] ? g.sumRows(width: d) : nil] }
        }
    }
}

extension Tensor {
    /// Σ over the outer `groups` and the `inner` positions of a [groups, channels, inner] layout → [channels].
    func sumInner(groups: Int, channels: Int, inner: Int) -> Tensor {
        var out = [Double](repeating: 0, count: channels)
        scalars.withUnsafeBufferPointer { s in
            for gIndex in 0..<groups {
                for c in 0..<channels {
                    let base = (gIndex * channels + c) * inner
                    var acc: Double = 0
                    for i in 0..<inner { acc += Double(s[base + i]) }
                    out[c] += acc
                }
            }
        }
        return Tensor(shape: [channels], scalars: out.map { Float($0) })
    }

    /// Σ over rows of a [rows, width] layout → [width].
    func sumRows(width d: Int) -> Tensor {
        var out = [Double](repeating: 0, count: d)
        scalars.withUnsafeBufferPointer { s in
            for r in 0..<(count / Swift.max(d, 1)) { for j in 0..<d { out[j] += Double(s[r * d + j]) } }
        }
        return Tensor(shape: [d], scalars: out.map { Float($0) })
    }
}
