import Tensors

/// diffusers' `UNet2DConditionModel` (the Stable Diffusion 1.x/2.x denoiser): predicts the noise (or v) of a
/// latent batch at timesteps t, conditioned on text context through cross-attention.
///
/// Shapes: sample [N, C_in, h, w], timesteps N values, context [N, S, D_ctx] → [N, C_out, h, w].
/// With `addition_embed_type: "text"` the context also shifts every resnet through the time embedding
/// (`TextTimeEmbedding`).
/// With `frames` = `.frames(F, …)`, N = B·F frames of B clips and self-attention spans frames (video UNet).
public struct UNet2DConditionModel {
    public let config: UNetConfig
    let timeLinear1, timeLinear2: Linear
    /// `add_embedding` (config `addition_embed_type: "text"`), else nil.
    let textTimeEmbedding: TextTimeEmbedding?
    let convIn: Conv2d
    let downBlocks: [UNetDownBlock]
    let mid: UNetMidBlock
    let upBlocks: [UNetUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    public init(_ w: WeightScope, config c: UNetConfig) throws {
        self.config = c
        let ch = c.blockOutChannels, temb = 4 * ch[0], g = c.normNumGroups, eps = c.normEps
        timeLinear1 = try Linear(w["time_embedding"]["linear_1"], in: ch[0], out: temb)
        timeLinear2 = try Linear(w["time_embedding"]["linear_2"], in: temb, out: temb)
        textTimeEmbedding = c.additionEmbedType == nil ? nil
            : try TextTimeEmbedding(w["add_embedding"], contextDim: c.crossAttentionDim, timeDim: temb, heads: c.additionEmbedHeads)
        convIn = try Conv2d(w["conv_in"], in: c.inChannels, out: ch[0], kernel: 3, padding: 1)
        let attention = { (scope: WeightScope, channels: Int, heads: Int) throws -> Transformer2D in
            try Transformer2D(scope, channels: channels, heads: heads, contextDim: c.crossAttentionDim,
                              layers: c.transformerLayersPerBlock, groups: g, linearProjection: c.useLinearProjection)
        }

        var down: [UNetDownBlock] = []
        var outC = ch[0]
        for (i, type) in c.downBlockTypes.enumerated() {
            let inC = outC
            outC = ch[i]
            let b = w["down_blocks"][i]
            var layers: [(ResnetBlock2D, Transformer2D?)] = []
            for j in 0..<c.layersPerBlock {
                let resnet = try ResnetBlock2D(b["resnets"][j], in: j == 0 ? inC : outC, out: outC, temb: temb, groups: g, eps: eps)
                let attn = type == "CrossAttnDownBlock2D" ? try attention(b["attentions"][j], outC, c.attentionHeads[i]) : nil
                layers.append((resnet, attn))
            }
            let final = i == ch.count - 1
            down.append(UNetDownBlock(layers: layers,
                                      downsampler: final ? nil : try Downsample2D(b["downsamplers"][0], channels: outC, padding: c.downsamplePadding)))
        }
        downBlocks = down

        let m = w["mid_block"], top = ch.last!
        mid = UNetMidBlock(
            resnet1: try ResnetBlock2D(m["resnets"][0], in: top, out: top, temb: temb, groups: g, eps: eps),
            attention: try attention(m["attentions"][0], top, c.attentionHeads.last!),
            resnet2: try ResnetBlock2D(m["resnets"][1], in: top, out: top, temb: temb, groups: g, eps: eps))

        let rch = Array(ch.reversed()), rheads = Array(c.attentionHeads.reversed())
        var up: [UNetUpBlock] = []
        outC = rch[0]
        for (i, type) in c.upBlockTypes.enumerated() {
            let prevC = outC
            outC = rch[i]
            let inC = rch[min(i + 1, rch.count - 1)]
            let b = w["up_blocks"][i], n = c.layersPerBlock + 1
            var layers: [(ResnetBlock2D, Transformer2D?)] = []
            for j in 0..<n {
                let skip = j == n - 1 ? inC : outC
                let resIn = j == 0 ? prevC : outC
                let resnet = try ResnetBlock2D(b["resnets"][j], in: resIn + skip, out: outC, temb: temb, groups: g, eps: eps)
                let attn = type == "CrossAttnUpBlock2D" ? try attention(b["attentions"][j], outC, rheads[i]) : nil
                layers.append((resnet, attn))
            }
            let final = i == rch.count - 1
            up.append(UNetUpBlock(layers: layers, upsampler: final ? nil : try Upsample2D(b["upsamplers"][0], channels: outC)))
        }
        upBlocks = up
        convNormOut = try GroupNorm(w["conv_norm_out"], groups: g, channels: ch[0], eps: eps)
        convOut = try Conv2d(w["conv_out"], in: ch[0], out: c.outChannels, kernel: 3, padding: 1)
    }

    /// The time embedding: sinusoidal features → linear → SiLU → linear. timesteps: N values → [N, 4·C0].
    public func timeEmbedding(_ timesteps: [Float]) -> Tensor {
        let features = timestepEmbedding(timesteps, dim: config.blockOutChannels[0], flipSinToCos: config.flipSinToCos,
                                         downscaleFreqShift: config.freqShift)
        return timeLinear2(timeLinear1(features).silu())
    }

    /// sample: [N, C_in, h, w], timesteps: N values, context: [N, S, D_ctx] → [N, C_out, h, w]
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], context: Tensor,
                               frames: FrameAttention = .perFrame) -> Tensor {
        precondition(timesteps.count == sample.shape[0] && context.shape[0] == sample.shape[0],
                     "UNet: \(timesteps.count) timesteps and context \(context.shape) for sample \(sample.shape)")
        var temb = timeEmbedding(timesteps)
        // diffusers: emb = emb + aug_emb, with aug_emb = add_embedding(encoder_hidden_states).
        if let textTimeEmbedding { temb = temb + textTimeEmbedding(context) }
        // 1. Down path, keeping every intermediate for the skip connections.
        var h = convIn(sample)
        var skips = [h]
        for block in downBlocks {
            for (resnet, attn) in block.layers {
                h = resnet(h, temb: temb)
                if let attn { h = attn(h, context: context, frames: frames) }
                skips.append(h)
            }
            if let d = block.downsampler { h = d(h); skips.append(h) }
        }
        // 2. Middle.
        h = mid.resnet2(mid.attention(mid.resnet1(h, temb: temb), context: context, frames: frames), temb: temb)
        // 3. Up path, consuming skips from the end.
        for block in upBlocks {
            for (resnet, attn) in block.layers {
                let skip = skips.removeLast()
                h = resnet(Tensor.concat([h, skip], axis: 1), temb: temb)
                if let attn { h = attn(h, context: context, frames: frames) }
            }
            if let u = block.upsampler {
                // Odd sizes: upsample to the next skip's size, as diffusers' `upsample_size` does.
                let target = skips.last.map { ($0.shape[2], $0.shape[3]) }
                h = u(h, size: target)
            }
        }
        // 4. Out.
        return convOut(convNormOut(h, silu: true))
    }
}

struct UNetDownBlock {
    let layers: [(ResnetBlock2D, Transformer2D?)]
    let downsampler: Downsample2D?
}

struct UNetMidBlock {
    let resnet1: ResnetBlock2D
    let attention: Transformer2D
    let resnet2: ResnetBlock2D
}

struct UNetUpBlock {
    let layers: [(ResnetBlock2D, Transformer2D?)]
    let upsampler: Upsample2D?
}
