import Models
import Tensors

extension Trainable {
    /// diffusers' `Transformer2DModel` (continuous input) as `Models.Transformer2D` computes it: group norm,
    /// proj_in (1×1 conv, or linear with `use_linear_projection`), `BasicTransformerBlock`s over the H·W tokens,
    /// proj_out, residual.
    public struct Transformer2D {
        let norm: GroupNorm
        let projIn, projOut: Projection
        let blocks: [BasicTransformerBlock]

        enum Projection {
            case conv(Conv2d)
            case linear(Linear)
        }

        public init(_ p: ParameterScope, channels c: Int, heads: Int, contextDim: Int, layers: Int, groups: Int,
                    linearProjection: Bool) throws {
            norm = try GroupNorm(p["norm"], groups: groups, channels: c, eps: 1e-6)
            if linearProjection {
                projIn = .linear(try Linear(p["proj_in"], in: c, out: c))
                projOut = .linear(try Linear(p["proj_out"], in: c, out: c))
            } else {
                projIn = .conv(try Conv2d(p["proj_in"], in: c, out: c, kernel: 1))
                projOut = .conv(try Conv2d(p["proj_out"], in: c, out: c, kernel: 1))
            }
            blocks = try (0..<layers).map {
                try BasicTransformerBlock(p["transformer_blocks"][$0], dim: c, heads: heads, contextDim: contextDim)
            }
        }

        /// x: [N, C, H, W], context: [N, S, Dc] → [N, C, H, W]
        public func callAsFunction(_ x: Variable, context: Variable, frames: FrameAttention = .perFrame) -> Variable {
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            var t = norm(x)
            switch projIn {
            case .conv(let conv): t = conv(t).reshaped([n, c, h * w]).permuted([0, 2, 1])
            case .linear(let lin): t = lin(t.reshaped([n, c, h * w]).permuted([0, 2, 1]))
            }
            for block in blocks { t = block(t, context: context, frames: frames) }
            let out: Variable
            switch projOut {
            case .conv(let conv): out = conv(t.permuted([0, 2, 1]).reshaped([n, c, h, w]))
            case .linear(let lin): out = lin(t).permuted([0, 2, 1]).reshaped([n, c, h, w])
            }
            return out + x
        }
    }

    /// diffusers' `BasicTransformerBlock`: self-attention (cross-frame when `frames` says so), cross-attention,
    /// GEGLU feed-forward, each pre-normed with a residual; then temporal attention when the checkpoint has
    /// `attn_temp` (as `Models.BasicTransformerBlock`).
    public struct BasicTransformerBlock {
        let norm1, norm2, norm3: LayerNorm
        let attn1, attn2: CrossAttention
        let ffIn: Linear   // ff.net.0.proj: dim → 2·4·dim (GEGLU)
        let ffOut: Linear  // ff.net.2: 4·dim → dim
        let temporal: TemporalAttention?

        public init(_ p: ParameterScope, dim: Int, heads: Int, contextDim: Int) throws {
            norm1 = try LayerNorm(p["norm1"], dim: dim, eps: 1e-5)
            norm2 = try LayerNorm(p["norm2"], dim: dim, eps: 1e-5)
            norm3 = try LayerNorm(p["norm3"], dim: dim, eps: 1e-5)
            attn1 = try CrossAttention(p["attn1"], queryDim: dim, contextDim: dim, heads: heads)
            attn2 = try CrossAttention(p["attn2"], queryDim: dim, contextDim: contextDim, heads: heads)
            ffIn = try Linear(p["ff"]["net"][0]["proj"], in: dim, out: 8 * dim)
            ffOut = try Linear(p["ff"]["net"][2], in: 4 * dim, out: dim)
            temporal = p.has("attn_temp") ? try TemporalAttention(p, dim: dim, heads: heads) : nil
        }

        /// x: [N, T, D], context: [N, S, Dc] → [N, T, D]
        public func callAsFunction(_ x: Variable, context: Variable, frames: FrameAttention) -> Variable {
            var h = x + attn1.selfAttention(norm1(x), frames: frames)
            h = h + attn2(norm2(h), context: context)
            h = h + ffOut(ffIn(norm3(h)).geglu())
            if let temporal, case let .frames(count, _) = frames { h = temporal(h, frameCount: count) }
            return h
        }
    }

    /// diffusers' `Attention` with separate projections (no bias on q/k/v, bias on `to_out.0`).
    public struct CrossAttention {
        let toQ, toK, toV, toOut: Linear
        let heads: Int

        public init(_ p: ParameterScope, queryDim: Int, contextDim: Int, heads: Int) throws {
            toQ = try Linear(p["to_q"], in: queryDim, out: queryDim, bias: false)
            toK = try Linear(p["to_k"], in: contextDim, out: queryDim, bias: false)
            toV = try Linear(p["to_v"], in: contextDim, out: queryDim, bias: false)
            toOut = try Linear(p["to_out"][0], in: queryDim, out: queryDim)
            self.heads = heads
        }

        /// x: [N, T, D] attends to context [N, S, Dc] → [N, T, D]
        public func callAsFunction(_ x: Variable, context: Variable) -> Variable {
            toOut(Variable.attention(q: toQ(x), k: toK(context), v: toV(context), heads: heads))
        }

        /// Self-attention; with frames folded into N, each frame's queries attend to the frames `frames` names.
        public func selfAttention(_ x: Variable, frames: FrameAttention) -> Variable {
            let q = toQ(x), k = toK(x), v = toV(x)
            guard case let .frames(count, sources) = frames, count > 1 else {
                return toOut(Variable.attention(q: q, k: k, v: v, heads: heads))
            }
            return toOut(Variable.frameAttention(q: q, k: k, v: v, heads: heads, frameCount: count, sources: sources))
        }
    }
}
