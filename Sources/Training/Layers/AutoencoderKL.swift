import Models
import Tensors

extension Trainable {
    /// diffusers' `AutoencoderKL`, differentiable, as `Models.AutoencoderKL` computes it (same keys and values).
    public struct AutoencoderKL {
        public let config: AutoencoderConfig
        let encoder: VAEEncoder
        let decoder: VAEDecoder
        let quantConv, postQuantConv: Conv2d

        public init(_ p: ParameterScope, config: AutoencoderConfig) throws {
            self.config = config
            let l = config.latentChannels
            encoder = try VAEEncoder(p["encoder"], config: config)
            decoder = try VAEDecoder(p["decoder"], config: config)
            quantConv = try Conv2d(p["quant_conv"], in: 2 * l, out: 2 * l, kernel: 1)
            postQuantConv = try Conv2d(p["post_quant_conv"], in: l, out: l, kernel: 1)
        }

        /// images: [N, 3, H, W] → (mean, logvar), each [N, L, h, w]; logvar clamped to [−30, 20] as diffusers does.
        public func encode(_ images: Variable) -> (mean: Variable, logvar: Variable) {
            let halves = quantConv(encoder(images)).chunked(2, axis: 1)
            return (halves[0], halves[1].clamped(min: -30, max: 20))
        }

        /// latents (unscaled): [N, L, h, w] → images [N, 3, H, W]
        public func decode(_ latents: Variable) -> Variable { decoder(postQuantConv(latents)) }
    }

    struct VAEEncoder {
        let convIn: Conv2d
        let downBlocks: [(resnets: [ResnetBlock2D], downsampler: Downsample2D?)]
        let mid: VAEMidBlock
        let convNormOut: GroupNorm
        let convOut: Conv2d

        init(_ p: ParameterScope, config c: AutoencoderConfig) throws {
            let ch = c.blockOutChannels, g = c.normNumGroups, top = ch[ch.count - 1]
            convIn = try Conv2d(p["conv_in"], in: c.inChannels, out: ch[0], kernel: 3, padding: 1)
            var blocks: [([ResnetBlock2D], Downsample2D?)] = []
            var inC = ch[0]
            for (i, outC) in ch.enumerated() {
                let b = p["down_blocks"][i]
                let resnets = try (0..<c.layersPerBlock).map {
                    try ResnetBlock2D(b["resnets"][$0], in: $0 == 0 ? inC : outC, out: outC, temb: nil, groups: g, eps: 1e-6)
                }
                let last = i == ch.count - 1
                blocks.append((resnets, last ? nil : try Downsample2D(b["downsamplers"][0], channels: outC, padding: 0)))
                inC = outC
            }
            downBlocks = blocks
            mid = try VAEMidBlock(p["mid_block"], channels: top, groups: g, attention: c.midBlockAddAttention)
            convNormOut = try GroupNorm(p["conv_norm_out"], groups: g, channels: top, eps: 1e-6)
            convOut = try Conv2d(p["conv_out"], in: top, out: 2 * c.latentChannels, kernel: 3, padding: 1)
        }

        /// x: [N, 3, H, W] → moments [N, 2L, h, w]
        func callAsFunction(_ x: Variable) -> Variable {
            var h = convIn(x)
            for block in downBlocks {
                for r in block.resnets { h = r(h) }
                if let d = block.downsampler { h = d(h) }
            }
            return convOut(convNormOut(mid(h), silu: true))
        }
    }

    struct VAEDecoder {
        let convIn: Conv2d
        let mid: VAEMidBlock
        let upBlocks: [(resnets: [ResnetBlock2D], upsampler: Upsample2D?)]
        let convNormOut: GroupNorm
        let convOut: Conv2d

        init(_ p: ParameterScope, config c: AutoencoderConfig) throws {
            let ch = Array(c.blockOutChannels.reversed()), g = c.normNumGroups
            convIn = try Conv2d(p["conv_in"], in: c.latentChannels, out: ch[0], kernel: 3, padding: 1)
            mid = try VAEMidBlock(p["mid_block"], channels: ch[0], groups: g, attention: c.midBlockAddAttention)
            var blocks: [([ResnetBlock2D], Upsample2D?)] = []
            var inC = ch[0]
            for (i, outC) in ch.enumerated() {
                let b = p["up_blocks"][i]
                let resnets = try (0...c.layersPerBlock).map {
                    try ResnetBlock2D(b["resnets"][$0], in: $0 == 0 ? inC : outC, out: outC, temb: nil, groups: g, eps: 1e-6)
                }
                let last = i == ch.count - 1
                blocks.append((resnets, last ? nil : try Upsample2D(b["upsamplers"][0], channels: outC)))
                inC = outC
            }
            upBlocks = blocks
            convNormOut = try GroupNorm(p["conv_norm_out"], groups: g, channels: ch[ch.count - 1], eps: 1e-6)
            convOut = try Conv2d(p["conv_out"], in: ch[ch.count - 1], out: c.outChannels, kernel: 3, padding: 1)
        }

        /// z: [N, L, h, w] → [N, 3, H, W]
        func callAsFunction(_ z: Variable) -> Variable {
            var h = mid(convIn(z))
            for block in upBlocks {
                for r in block.resnets { h = r(h) }
                if let u = block.upsampler { h = u(h) }
            }
            return convOut(convNormOut(h, silu: true))
        }
    }

    /// The VAE's `UNetMidBlock2D`: resnet, single-head spatial self-attention, resnet.
    struct VAEMidBlock {
        let resnets: [ResnetBlock2D]
        let attention: SpatialSelfAttention?

        init(_ p: ParameterScope, channels c: Int, groups: Int, attention hasAttention: Bool) throws {
            resnets = try (0..<2).map { try ResnetBlock2D(p["resnets"][$0], in: c, out: c, temb: nil, groups: groups, eps: 1e-6) }
            attention = hasAttention ? try SpatialSelfAttention(p["attentions"][0], channels: c, groups: groups) : nil
        }

        func callAsFunction(_ x: Variable) -> Variable {
            var h = resnets[0](x)
            if let attention { h = attention(h) }
            return resnets[1](h)
        }
    }

    /// diffusers' `Attention` as the VAE uses it: group norm, one head over all positions, residual.
    struct SpatialSelfAttention {
        let groupNorm: GroupNorm
        let toQ, toK, toV, toOut: Linear

        init(_ p: ParameterScope, channels c: Int, groups: Int) throws {
            groupNorm = try GroupNorm(p["group_norm"], groups: groups, channels: c, eps: 1e-6)
            toQ = try Linear(p["to_q"], in: c, out: c)
            toK = try Linear(p["to_k"], in: c, out: c)
            toV = try Linear(p["to_v"], in: c, out: c)
            toOut = try Linear(p["to_out"][0], in: c, out: c)
        }

        /// x: [N, C, H, W] → same shape
        func callAsFunction(_ x: Variable) -> Variable {
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let tokens = groupNorm(x).reshaped([n, c, h * w]).permuted([0, 2, 1])  // [N, HW, C]
            let a = Variable.attention(q: toQ(tokens), k: toK(tokens), v: toV(tokens), heads: 1)
            return x + toOut(a).permuted([0, 2, 1]).reshaped([n, c, h, w])
        }
    }
}
