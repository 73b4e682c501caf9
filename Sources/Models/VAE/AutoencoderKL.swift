import Foundation
import Tensors

/// diffusers' `AutoencoderKL`: images [N, 3, H, W] in [-1, 1] ↔ latents [N, L, H/2^(B−1), W/2^(B−1)].
///
/// `encode` returns the posterior mean (and log-variance); editing uses the mean times `scalingFactor`, as
/// diffusers' video pipelines do with `latent_dist.mean` / `.sample()`. `decode` takes unscaled latents.
public struct AutoencoderKL {
    public let config: AutoencoderConfig
    let encoder: VAEEncoder
    let decoder: VAEDecoder
    let quantConv, postQuantConv: Conv2d

    public init(_ w: WeightScope, config: AutoencoderConfig) throws {
        self.config = config
        let l = config.latentChannels
        encoder = try VAEEncoder(w["encoder"], config: config)
        decoder = try VAEDecoder(w["decoder"], config: config)
        quantConv = try Conv2d(w["quant_conv"], in: 2 * l, out: 2 * l, kernel: 1)
        postQuantConv = try Conv2d(w["post_quant_conv"], in: l, out: l, kernel: 1)
    }

    /// images: [N, 3, H, W] → (mean, logvar), each [N, L, h, w]; logvar clamped to [-30, 20] as diffusers does.
    public func encode(_ images: Tensor) -> (mean: Tensor, logvar: Tensor) {
        let moments = quantConv(encoder(images))
        let halves = moments.chunked(2, axis: 1)
        return (halves[0], halves[1].map { min(max($0, -30), 20) })
    }

    /// A sample of the posterior: mean + exp(½·logvar)·noise, with `noise` standard normal of the same shape
    /// (diffusers' `DiagonalGaussianDistribution.sample`; pass torch-compatible noise, e.g. Diffusion's
    /// `TorchRandom`, to reproduce `latent_dist.sample(generator)`).
    public static func sample(mean: Tensor, logvar: Tensor, noise: Tensor) -> Tensor {
        mean + logvar.map { exp(0.5 * $0) } * noise
    }

    /// latents (unscaled): [N, L, h, w] → images [N, 3, H, W]
    public func decode(_ latents: Tensor) -> Tensor { decoder(postQuantConv(latents)) }
}

/// Down path: conv_in, DownEncoderBlock2D × B (resnets, stride-2 conv except the last), mid block, norm, conv_out.
struct VAEEncoder {
    let convIn: Conv2d
    let downBlocks: [(resnets: [ResnetBlock2D], downsampler: Downsample2D?)]
    let mid: VAEMidBlock
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ w: WeightScope, config c: AutoencoderConfig) throws {
        let ch = c.blockOutChannels, g = c.normNumGroups
        convIn = try Conv2d(w["conv_in"], in: c.inChannels, out: ch[0], kernel: 3, padding: 1)
        var blocks: [([ResnetBlock2D], Downsample2D?)] = []
        var inC = ch[0]
        for (i, outC) in ch.enumerated() {
            let b = w["down_blocks"][i]
            var resnets: [ResnetBlock2D] = []
            for j in 0..<c.layersPerBlock {
                resnets.append(try ResnetBlock2D(b["resnets"][j], in: j == 0 ? inC : outC, out: outC, temb: nil, groups: g, eps: 1e-6))
            }
            let last = i == ch.count - 1
            blocks.append((resnets, last ? nil : try Downsample2D(b["downsamplers"][0], channels: outC, padding: 0)))
            inC = outC
        }
        downBlocks = blocks
        mid = try VAEMidBlock(w["mid_block"], channels: ch.last!, groups: g, attention: c.midBlockAddAttention)
        convNormOut = try GroupNorm(w["conv_norm_out"], groups: g, channels: ch.last!, eps: 1e-6)
        convOut = try Conv2d(w["conv_out"], in: ch.last!, out: 2 * c.latentChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = convIn(x)
        for block in downBlocks {
            for r in block.resnets { h = r(h) }
            if let d = block.downsampler { h = d(h) }
        }
        return convOut(convNormOut(mid(h), silu: true))
    }
}

/// Up path: conv_in, mid block, UpDecoderBlock2D × B (layers_per_block + 1 resnets, upsample except the last),
/// norm, conv_out.
struct VAEDecoder {
    let convIn: Conv2d
    let mid: VAEMidBlock
    let upBlocks: [(resnets: [ResnetBlock2D], upsampler: Upsample2D?)]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ w: WeightScope, config c: AutoencoderConfig) throws {
        let ch = Array(c.blockOutChannels.reversed()), g = c.normNumGroups
        convIn = try Conv2d(w["conv_in"], in: c.latentChannels, out: ch[0], kernel: 3, padding: 1)
        mid = try VAEMidBlock(w["mid_block"], channels: ch[0], groups: g, attention: c.midBlockAddAttention)
        var blocks: [([ResnetBlock2D], Upsample2D?)] = []
        var inC = ch[0]
        for (i, outC) in ch.enumerated() {
            let b = w["up_blocks"][i]
            var resnets: [ResnetBlock2D] = []
            for j in 0...c.layersPerBlock {
                resnets.append(try ResnetBlock2D(b["resnets"][j], in: j == 0 ? inC : outC, out: outC, temb: nil, groups: g, eps: 1e-6))
            }
            let last = i == ch.count - 1
            blocks.append((resnets, last ? nil : try Upsample2D(b["upsamplers"][0], channels: outC)))
            inC = outC
        }
        upBlocks = blocks
        convNormOut = try GroupNorm(w["conv_norm_out"], groups: g, channels: ch.last!, eps: 1e-6)
        convOut = try Conv2d(w["conv_out"], in: ch.last!, out: c.outChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ z: Tensor) -> Tensor {
        var h = mid(convIn(z))
        for block in upBlocks {
            for r in block.resnets { h = r(h) }
            if let u = block.upsampler { h = u(h) }
        }
        return convOut(convNormOut(h, silu: true))
    }
}

/// `UNetMidBlock2D` of the VAE: resnet, single-head spatial self-attention, resnet.
struct VAEMidBlock {
    let resnets: [ResnetBlock2D]
    let attention: SpatialSelfAttention?

    init(_ w: WeightScope, channels c: Int, groups: Int, attention hasAttention: Bool) throws {
        resnets = try (0..<2).map { try ResnetBlock2D(w["resnets"][$0], in: c, out: c, temb: nil, groups: groups, eps: 1e-6) }
        attention = hasAttention ? try SpatialSelfAttention(w["attentions"][0], channels: c, groups: groups) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = resnets[0](x)
        if let attention { h = attention(h) }
        return resnets[1](h)
    }
}

/// diffusers' `Attention` as the VAE uses it: group norm, one head over all positions, residual.
/// Keys: `group_norm`, `to_q`, `to_k`, `to_v`, `to_out.0`.
struct SpatialSelfAttention {
    let groupNorm: GroupNorm
    let toQ, toK, toV, toOut: Linear

    init(_ w: WeightScope, channels c: Int, groups: Int) throws {
        groupNorm = try GroupNorm(w["group_norm"], groups: groups, channels: c, eps: 1e-6)
        toQ = try Linear(w["to_q"], in: c, out: c)
        toK = try Linear(w["to_k"], in: c, out: c)
        toV = try Linear(w["to_v"], in: c, out: c)
        toOut = try Linear(w["to_out"][0], in: c, out: c)
    }

    /// x: [N, C, H, W] → same shape
    func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = groupNorm(x).reshaped([n, c, h * w]).permuted([0, 2, 1])  // [N, HW, C]
        let a = Attention.scaledDotProduct(q: toQ(tokens), k: toK(tokens), v: toV(tokens), heads: 1)
        return x + toOut(a).permuted([0, 2, 1]).reshaped([n, c, h, w])
    }
}
