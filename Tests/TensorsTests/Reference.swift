import Foundation
@testable import Tensors

/// Naive reference kernels: the definitions written as loops, for comparing the fast kernels against.
enum Naive {
    static func linear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let inF = x.shape.last!, outF = w.shape[0], rows = x.count / inF
        var out = Tensor(shape: Array(x.shape.dropLast()) + [outF])
        for r in 0..<rows {
            for o in 0..<outF {
                var s = Double(b?.scalars[o] ?? 0)
                for i in 0..<inF { s += Double(x.scalars[r * inF + i]) * Double(w.scalars[o * inF + i]) }
                out.scalars[r * outF + o] = Float(s)
            }
        }
        return out
    }

    static func conv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let ho = (h + 2 * padding - kh) / stride + 1, wo = (wd + 2 * padding - kw) / stride + 1
        var out = Tensor(shape: [n, o, ho, wo])
        for bi in 0..<n { for oc in 0..<o { for oy in 0..<ho { for ox in 0..<wo {
            var s = Double(b?.scalars[oc] ?? 0)
            for ic in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                s += Double(x.scalars[((bi * c + ic) * h + iy) * wd + ix]) * Double(w.scalars[((oc * c + ic) * kh + ky) * kw + kx])
            } } }
            out.scalars[((bi * o + oc) * ho + oy) * wo + ox] = Float(s)
        } } } }
        return out
    }

    static func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor, beta: Tensor, eps: Double) -> Tensor {
        let n = x.shape[0], c = x.shape[1], inner = x.count / (n * c), per = c / groups
        var out = x
        for bi in 0..<n { for g in 0..<groups {
            let idx = (0..<(per * inner)).map { (bi * c + g * per) * inner + $0 }
            let mean = idx.reduce(0.0) { $0 + Double(x.scalars[$1]) } / Double(idx.count)
            let v = idx.reduce(0.0) { $0 + pow(Double(x.scalars[$1]) - mean, 2) } / Double(idx.count)
            for i in idx {
                let ch = (i / inner) % c
                out.scalars[i] = Float((Double(x.scalars[i]) - mean) / (v + eps).squareRoot() * Double(gamma.scalars[ch]) + Double(beta.scalars[ch]))
            }
        } }
        return out
    }

    /// causal: query i sees keys 0…i only.
    static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool = false) -> Tensor {
        let (b, tq, width, tk) = (q.shape[0], q.shape[1], q.shape[2], k.shape[1])
        let dh = width / heads
        var out = Tensor(shape: q.shape)
        for bi in 0..<b { for h in 0..<heads { for i in 0..<tq {
            let seen = causal ? i + 1 : tk
            var scores = [Double](repeating: 0, count: seen)
            for j in 0..<seen {
                var s = 0.0
                for d in 0..<dh { s += Double(q.scalars[(bi * tq + i) * width + h * dh + d]) * Double(k.scalars[(bi * tk + j) * width + h * dh + d]) }
                scores[j] = s / Double(dh).squareRoot()
            }
            let m = scores.max()!
            let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
            for d in 0..<dh {
                var s = 0.0
                for j in 0..<seen { s += e[j] / z * Double(v.scalars[(bi * tk + j) * width + h * dh + d]) }
                out.scalars[(bi * tq + i) * width + h * dh + d] = Float(s)
            }
        } } }
        return out
    }
}

/// Deterministic pseudo-random tensors for tests (SplitMix64 → uniform in [-1, 1)).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }
    return Tensor(shape: shape, scalars: values)
}

/// Largest absolute difference; prints the first differing values when above `tolerance` (llm.c check_tensor style).
func maxError(_ a: Tensor, _ b: Tensor, tolerance: Float, label: String = "") -> Float {
    precondition(a.shape == b.shape, "\(label): shapes \(a.shape) and \(b.shape)")
    var m: Float = 0
    var shown = 0
    for i in 0..<a.count {
        let d = abs(a.scalars[i] - b.scalars[i])
        if !(d <= tolerance) && shown < 5 {
            print("\(label) mismatch at \(i): \(a.scalars[i]) vs \(b.scalars[i])")
            shown += 1
        }
        m = max(m, d.isNaN ? .infinity : d)
    }
    return m
}
