import Tensors

extension Trainable {
    /// diffusers' `ResnetBlock2D` as `Models.ResnetBlock2D` computes it:
    /// h = conv1(SiLU(norm1(x))) [+ time_emb_proj(SiLU(temb))], h = conv2(SiLU(norm2(h))), out = shortcut(x) + h.
    public struct ResnetBlock2D {
        let norm1, norm2: GroupNorm
        let conv1, conv2: Conv2d
        let timeEmbProj: Linear?
        let convShortcut: Conv2d?

        /// - temb: width of the time embedding, or nil for blocks without time input (the VAE's).
        public init(_ p: ParameterScope, in inC: Int, out outC: Int, temb: Int?, groups: Int, eps: Float) throws {
            norm1 = try GroupNorm(p["norm1"], groups: groups, channels: inC, eps: eps)
            conv1 = try Conv2d(p["conv1"], in: inC, out: outC, kernel: 3, padding: 1)
            timeEmbProj = try temb.map { try Linear(p["time_emb_proj"], in: $0, out: outC) }
            norm2 = try GroupNorm(p["norm2"], groups: groups, channels: outC, eps: eps)
            conv2 = try Conv2d(p["conv2"], in: outC, out: outC, kernel: 3, padding: 1)
            convShortcut = inC == outC ? nil : try Conv2d(p["conv_shortcut"], in: inC, out: outC, kernel: 1)
        }

        /// x: [N, in, H, W], temb: [N, T] (SiLU not yet applied) → [N, out, H, W]
        public func callAsFunction(_ x: Variable, temb: Variable? = nil) -> Variable {
            var h = conv1(norm1(x, silu: true))
            if let proj = timeEmbProj, let temb { h = h.addingPerChannel(proj(temb.silu())) }
            h = conv2(norm2(h, silu: true))
            return (convShortcut?(x) ?? x) + h
        }
    }

    /// diffusers' `Downsample2D` with a conv: stride-2 3×3 conv; `padding` 0 (the VAE's) first pads right and
    /// bottom by one.
    public struct Downsample2D {
        let conv: Conv2d
        let asymmetricPad: Bool

        public init(_ p: ParameterScope, channels: Int, padding: Int) throws {
            conv = try Conv2d(p["conv"], in: channels, out: channels, kernel: 3, stride: 2, padding: padding)
            asymmetricPad = padding == 0
        }

        /// x: [N, C, H, W] → [N, C, H/2, W/2]
        public func callAsFunction(_ x: Variable) -> Variable {
            conv(asymmetricPad ? x.padded(bottom: 1, right: 1) : x)
        }
    }

    /// diffusers' `Upsample2D` with a conv: nearest ×2 (or to an explicit size), then a 3×3 conv.
    public struct Upsample2D {
        let conv: Conv2d

        public init(_ p: ParameterScope, channels: Int) throws {
            conv = try Conv2d(p["conv"], in: channels, out: channels, kernel: 3, padding: 1)
        }

        /// x: [N, C, H, W] → [N, C, 2H, 2W], or [N, C, size.0, size.1] when a different size is given.
        public func callAsFunction(_ x: Variable, size: (Int, Int)? = nil) -> Variable {
            if let size, size != (2 * x.shape[2], 2 * x.shape[3]) {
                return conv(x.resizedNearest(height: size.0, width: size.1))
            }
            return conv(x.upsampledNearest2x())
        }
    }
}
