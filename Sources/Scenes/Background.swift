import Foundation

/// A direction across the frame along which a background's colours change.
public enum Axis: String, CaseIterable, Codable, Hashable, Sendable {
    /// Left to right: a horizontal gradient; stripes that stand upright.
    case horizontal
    /// Top to bottom: a vertical gradient; stripes that lie flat.
    case vertical
}

/// What lies behind the object. It does not change over the clip.
///
/// Textures are sized from the frame's short side `S`: stripes repeat every `S/8` (two bands of `S/16`),
/// checker squares are `S/8` across, and dots of radius `0.3·S/8` sit at the centres of `S/8` cells.
/// Texture edges are box-filtered (anti-aliased) like the object's.
public enum Background: Codable, Hashable, Sendable {
    /// One colour.
    case plain(NamedColor)
    /// `from` at the top (or left) edge, blending linearly to `to` at the bottom (or right) edge.
    case gradient(from: NamedColor, to: NamedColor, along: Axis)
    /// Alternating bands of `first` and `second`, the colour changing `along` the axis.
    case stripes(NamedColor, NamedColor, along: Axis)
    /// A checkerboard of `first` and `second`; the top-left square is `first`.
    case checkerboard(NamedColor, NamedColor)
    /// Dots of `second` on `first`.
    case dots(NamedColor, NamedColor)

    /// Every colour the background shows.
    public var colors: [NamedColor] {
        switch self {
        case .plain(let c): [c]
        case .gradient(let a, let b, _), .stripes(let a, let b, _), .checkerboard(let a, let b), .dots(let a, let b): [a, b]
        }
    }

    /// Painted pixels, [H, W, 3] row-major RGB.
    public func pixels(width: Int, height: Int) -> [UInt8] {
        let colors = self.colors
        let a = colors[0].rgb, b = colors[colors.count - 1].rgb
        let period = Double(min(width, height)) / 8
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { px in
            for y in 0..<height {
                for x in 0..<width {
                    let w = weightOfSecond(x: x, y: y, width: width, height: height, period: period)
                    let i = (y * width + x) * 3
                    px[i] = mix(a.0, b.0, w); px[i + 1] = mix(a.1, b.1, w); px[i + 2] = mix(a.2, b.2, w)
                }
            }
        }
        return out
    }

    /// How much of pixel (x, y) shows the second colour, in [0, 1].
    private func weightOfSecond(x: Int, y: Int, width: Int, height: Int, period: Double) -> Double {
        let u = Double(x) + 0.5, v = Double(y) + 0.5
        switch self {
        case .plain: return 0
        case .gradient(_, _, let axis):
            let (i, n) = axis == .horizontal ? (x, width) : (y, height)
            return n > 1 ? Double(i) / Double(n - 1) : 0
        case .stripes(_, _, let axis):
            return bandCoverage(axis == .horizontal ? u : v, period: period)
        case .checkerboard:
            let sx = bandCoverage(u, period: 2 * period), sy = bandCoverage(v, period: 2 * period)
            return sx + sy - 2 * sx * sy  // box filter of (band x) XOR (band y); the filter is separable
        case .dots:
            let cx = (u / period).rounded(.down) * period + period / 2
            let cy = (v / period).rounded(.down) * period + period / 2
            return coverage(signedDistance: ((u - cx) * (u - cx) + (v - cy) * (v - cy)).squareRoot() - 0.3 * period)
        }
    }
}

/// Fraction of the pixel [c − ½, c + ½] that falls in the second band of a square wave whose bands
/// [0, p/2) (first) and [p/2, p) (second) repeat every `p`; exact box filter.
func bandCoverage(_ c: Double, period p: Double) -> Double {
    func secondUpTo(_ t: Double) -> Double {  // measure of second-band positions in [0, t]
        let k = (t / p).rounded(.down)
        return k * p / 2 + min(max(t - k * p - p / 2, 0), p / 2)
    }
    return secondUpTo(c + 0.5) - secondUpTo(c - 0.5)
}

/// Pixel coverage from the signed distance (pixels, negative inside) of its centre to an edge.
/// Exact for a straight edge parallel to a pixel side; smooth and close elsewhere.
@inline(__always) func coverage(signedDistance d: Double) -> Double { min(max(0.5 - d, 0), 1) }

/// `a` blended toward `b` by `w` ∈ [0, 1], rounded; w = 0 gives `a` and w = 1 gives `b` exactly.
@inline(__always) func mix(_ a: UInt8, _ b: UInt8, _ w: Double) -> UInt8 {
    UInt8((Double(a) + (Double(b) - Double(a)) * w).rounded())
}
