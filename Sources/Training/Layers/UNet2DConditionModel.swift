import Models
import Tensors

extension Trainable {
    /// diffusers' `UNet2DConditionModel`, differentiable, block for block as `Models.UNet2DConditionModel`
    /// (same checkpoint keys, same forward values).
    ///
    /// Shapes: sample [N, C_in, h, w], timesteps N values, context [N, S, D_ctx] → [N, C_out, h, w]; with
    /// `frames` = `.frames(F, …)`, N = B·F and self-attention spans frames.
    /// `checkpointing` recomputes every resnet and transformer during backward instead of keeping their
    /// activations (see `checkpointed`): less memory, about one more forward pass of time.
    public struct UNet2DConditionModel {
        public let config: UNetConfig
        public var checkpointing = false
        let timeLinear1, timeLinear2: Linear
        /// `add_embedding` (config `addition_embed_type: "text"`), else nil.
        let textTimeEmbedding: TextTimeEmbedding?
        let convIn: Conv2d
        let downBlocks: [DownBlock]
        let mid: (resnet1: ResnetBlock2D, attention: Transformer2D, resnet2: ResnetBlock2D)
        let upBlocks: [UpBlock]
        let convNormOut: GroupNorm
        let convOut: Conv2d

        struct DownBlock {
            let layers: [(ResnetBlock2D, Transformer2D?)]
            let downsampler: Downsample2D?
        }

        struct UpBlock {
            let layers: [(ResnetBlock2D, Transformer2D?)]
            let upsampler: Upsample2D?
        }

        public init(_ p: ParameterScope, config c: UNetConfig) throws {
            config = c
            let ch = c.blockOutChannels, temb = 4 * ch[0], g = c.normNumGroups, eps = c.normEps
            timeLinear1 = try Linear(p["time_embedding"]["linear_1"], in: ch[0], out: temb)
            timeLinear2 = try Linear(p["time_embedding"]["linear_2"], in: temb, out: temb)
            textTimeEmbedding = c.additionEmbedType == nil ? nil
                : try TextTimeEmbedding(p["add_embedding"], contextDim: c.crossAttentionDim, timeDim: temb, heads: c.additionEmbedHeads)
            convIn = try Conv2d(p["conv_in"], in: c.inChannels, out: ch[0], kernel: 3, padding: 1)
            let attention = { (scope: ParameterScope, channels: Int, heads: Int) throws -> Transformer2D in
                try Transformer2D(scope, channels: channels, heads: heads, contextDim: c.crossAttentionDim,
                                  layers: c.transformerLayersPerBlock, groups: g, linearProjection: c.useLinearProjection)
            }

            var down: [DownBlock] = []
            var outC = ch[0]
            for (i, type) in c.downBlockTypes.enumerated() {
                let inC = outC
                outC = ch[i]
                let b = p["down_blocks"][i]
                var layers: [(ResnetBlock2D, Transformer2D?)] = []
                for j in 0..<c.layersPerBlock {
                    let resnet = try ResnetBlock2D(b["resnets"][j], in: j == 0 ? inC : outC, out: outC, temb: temb, groups: g, eps: eps)
                    let attn = type == "CrossAttnDownBlock2D" ? try attention(b["attentions"][j], outC, c.attentionHeads[i]) : nil
                    layers.append((resnet, attn))
                }
                let final = i == ch.count - 1
                down.append(DownBlock(layers: layers, downsampler: final ? nil
                    : try Downsample2D(b["downsamplers"][0], channels: outC, padding: c.downsamplePadding)))
            }
            downBlocks = down

            let m = p["mid_block"], top = ch[ch.count - 1]
            mid = (try ResnetBlock2D(m["resnets"][0], in: top, out: top, temb: temb, groups: g, eps: eps),
                   try attention(m["attentions"][0], top, c.attentionHeads[c.attentionHeads.count - 1]),
                   try ResnetBlock2D(m["resnets"][1], in: top, out: top, temb: temb, groups: g, eps: eps))

            let rch = Array(ch.reversed()), rheads = Array(c.attentionHeads.reversed())
            var up: [UpBlock] = []
            outC = rch[0]
            for (i, type) in c.upBlockTypes.enumerated() {
                let prevC = outC
                outC = rch[i]
                let inC = rch[min(i + 1, rch.count - 1)]
                let b = p["up_blocks"][i], n = c.layersPerBlock + 1
                var layers: [(ResnetBlock2D, Transformer2D?)] = []
                for j in 0..<n {
                    let skip = j == n - 1 ? inC : outC
                    let resIn = j == 0 ? prevC : outC
                    let resnet = try ResnetBlock2D(b["resnets"][j], in: resIn + skip, out: outC, temb: temb, groups: g, eps: eps)
                    let attn = type == "CrossAttnUpBlock2D" ? try attention(b["attentions"][j], outC, rheads[i]) : nil
                    layers.append((resnet, attn))
                }
                let final = i == rch.count - 1
                up.append(UpBlock(layers: layers, upsampler: final ? nil : try Upsample2D(b["upsamplers"][0], channels: outC)))
            }
            upBlocks = up
            convNormOut = try GroupNorm(p["conv_norm_out"], groups: g, channels: ch[0], eps: eps)
            convOut = try Conv2d(p["conv_out"], in: ch[0], out: c.outChannels, kernel: 3, padding: 1)
        }

        /// Sinusoidal features → linear → SiLU → linear. timesteps: N values → [N, 4·C0].
        public func timeEmbedding(_ timesteps: [Float]) -> Variable {
            let features = timestepEmbedding(timesteps, dim: config.blockOutChannels[0], flipSinToCos: config.flipSinToCos,
                                             downscaleFreqShift: config.freqShift)
            return timeLinear2(timeLinear1(Variable(features)).silu())
        }

        /// sample: [N, C_in, h, w], timesteps: N values, context: [N, S, D_ctx] → [N, C_out, h, w]
        public func callAsFunction(_ sample: Variable, timesteps: [Float], context: Variable,
                                   frames: FrameAttention = .perFrame) -> Variable {
            precondition(timesteps.count == sample.shape[0] && context.shape[0] == sample.shape[0],
                         "UNet: \(timesteps.count) timesteps and context \(context.shape) for sample \(sample.shape)")
            var temb = timeEmbedding(timesteps)
            if let textTimeEmbedding { temb = temb + textTimeEmbedding(context) }
            let resnet = { (block: ResnetBlock2D, h: Variable) -> Variable in
                checkpointing ? checkpointed([h, temb]) { block($0[0], temb: $0[1]) } : block(h, temb: temb)
            }
            let attend = { (block: Transformer2D, h: Variable) -> Variable in
                checkpointing ? checkpointed([h, context]) { block($0[0], context: $0[1], frames: frames) }
                    : block(h, context: context, frames: frames)
            }
            // 1. Down path, keeping every intermediate for the skip connections.
            var h = convIn(sample)
            var skips = [h]
            for block in downBlocks {
                for (res, attn) in block.layers {
                    h = resnet(res, h)
                    if let attn { h = attend(attn, h) }
                    skips.append(h)
                }
                if let d = block.downsampler { h = d(h); skips.append(h) }
            }
            // 2. Middle.
            h = resnet(mid.resnet2, attend(mid.attention, resnet(mid.resnet1, h)))
            // 3. Up path, consuming skips from the end.
            for block in upBlocks {
                for (res, attn) in block.layers {
                    let skip = skips.removeLast()
                    h = resnet(res, Variable.concat([h, skip], axis: 1))
                    if let attn { h = attend(attn, h) }
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
}
