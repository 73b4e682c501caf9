import Tensors

/// diffusers' `ResnetBlock2D` (time_embedding_norm "default", output_scale_factor 1):
/// h = conv1(SiLU(norm1(x))) [+ time_emb_proj(SiLU(temb))], h = conv2(SiLU(norm2(h))), out = shortcut(x) + h.
public struct ResnetBlock2D {
    let norm1, norm2: GroupNorm
    let conv1, conv2: Conv2d
    let timeEmbProj: Linear?
    let convShortcut: Conv2d?

    /// - temb: width of the time embedding, or nil for the VAE's blocks (no time input).
    public init(_ w: WeightScope, in inC: Int, out outC: Int, temb: Int?, groups: Int, eps: Float) throws {
        norm1 = try GroupNorm(w["norm1"], groups: groups, channels: inC, eps: eps)
        conv1 = try Conv2d(w["conv1"], in: inC, out: outC, kernel: 3, padding: 1)
        timeEmbProj = try temb.map { try Linear(w["time_emb_proj"], in: $0, out: outC) }
        norm2 = try GroupNorm(w["norm2"], groups: groups, channels: outC, eps: eps)
        conv2 = try Conv2d(w["conv2"], in: outC, out: outC, kernel: 3, padding: 1)
        convShortcut = inC == outC ? nil : try Conv2d(w["conv_shortcut"], in: inC, out: outC, kernel: 1)
    }

    /// x: [N, in, H, W], temb: [N, T] (SiLU not yet applied) → [N, out, H, W]
    public func callAsFunction(_ x: Tensor, temb: Tensor? = nil) -> Tensor {
        var h = conv1(norm1(x, silu: true))
        if let proj = timeEmbProj, let temb {
            // [N, out] added at every position.
            let t = proj(temb.silu())
            let n = h.shape[0], c = h.shape[1], plane = h.shape[2] * h.shape[3]
            h.scalars.withUnsafeMutableBufferPointer { hp in
                for i in 0..<(n * c) {
                    let v = t.scalars[i]
                    for j in 0..<plane { hp[i * plane + j] += v }
                }
            }
        }
        h = conv2(norm2(h, silu: true))
        return (convShortcut?(x) ?? x) + h
    }
}

/// diffusers' `Downsample2D` with a conv: stride-2 3x3 conv. `padding` 0 (the VAE's) pads right and bottom by one
/// first, as diffusers does.
public struct Downsample2D {
    let conv: Conv2d
    let asymmetricPad: Bool

    public init(_ w: WeightScope, channels: Int, padding: Int) throws {
        conv = try Conv2d(w["conv"], in: channels, out: channels, kernel: 3, stride: 2, padding: padding)
        asymmetricPad = padding == 0
    }

    /// x: [N, C, H, W] → [N, C, H/2, W/2]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv(asymmetricPad ? x.paddedRightBottom() : x)
    }
}

/// diffusers' `Upsample2D` with a conv: nearest ×2 (or to an explicit size), then a 3x3 conv.
public struct Upsample2D {
    let conv: Conv2d

    public init(_ w: WeightScope, channels: Int) throws {
        conv = try Conv2d(w["conv"], in: channels, out: channels, kernel: 3, padding: 1)
    }

    /// x: [N, C, H, W] → [N, C, 2H, 2W], or [N, C, size.0, size.1] when a size is given.
    public func callAsFunction(_ x: Tensor, size: (Int, Int)? = nil) -> Tensor {
        if let size, size != (2 * x.shape[2], 2 * x.shape[3]) { return conv(x.resizedNearest(height: size.0, width: size.1)) }
        return conv(x.upsampledNearest2x())
    }
}

extension Tensor {
    /// One zero column on the right and one zero row at the bottom: [N, C, H, W] → [N, C, H+1, W+1].
    func paddedRightBottom() -> Tensor {
        let planes = shape[0] * shape[1], h = shape[2], w = shape[3]
        var out = Tensor(shape: [shape[0], shape[1], h + 1, w + 1])
        for p in 0..<planes {
            for y in 0..<h {
                let s = (p * h + y) * w, d = (p * (h + 1) + y) * (w + 1)
                for x in 0..<w { out.scalars[d + x] = scalars[s + x] }
            }
        }
        return out
    }
}
