import Tensors

/// diffusers' `Transformer2DModel` for images (continuous input): group norm, proj_in (1x1 conv, or linear when
/// `use_linear_projection`), `BasicTransformerBlock`s over the H·W tokens, proj_out, residual.
struct Transformer2D {
    let norm: GroupNorm
    let projIn, projOut: Projection
    let blocks: [BasicTransformerBlock]

    /// A 1x1 conv on [N, C, H, W] or a linear on [N, HW, C]: SD 1.x uses the conv, SD 2.x the linear.
    enum Projection {
        case conv(Conv2d)
        case linear(Linear)
    }

    init(_ w: WeightScope, channels c: Int, heads: Int, contextDim: Int, layers: Int, groups: Int,
         linearProjection: Bool) throws {
        norm = try GroupNorm(w["norm"], groups: groups, channels: c, eps: 1e-6)
        if linearProjection {
            projIn = .linear(try Linear(w["proj_in"], in: c, out: c))
            projOut = .linear(try Linear(w["proj_out"], in: c, out: c))
        } else {
            projIn = .conv(try Conv2d(w["proj_in"], in: c, out: c, kernel: 1))
            projOut = .conv(try Conv2d(w["proj_out"], in: c, out: c, kernel: 1))
        }
        blocks = try (0..<layers).map {
            try BasicTransformerBlock(w["transformer_blocks"][$0], dim: c, heads: heads, contextDim: contextDim)
        }
    }

    /// x: [N, C, H, W], context: [N, S, Dc] → [N, C, H, W]
    func callAsFunction(_ x: Tensor, context: Tensor, frames: FrameAttention) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var t = norm(x)
        switch projIn {
        case .conv(let conv): t = conv(t).reshaped([n, c, h * w]).permuted([0, 2, 1])
        case .linear(let lin): t = lin(t.reshaped([n, c, h * w]).permuted([0, 2, 1]))
        }
        for block in blocks { t = block(t, context: context, frames: frames) }
        let out: Tensor
        switch projOut {
        case .conv(let conv): out = conv(t.permuted([0, 2, 1]).reshaped([n, c, h, w]))
        case .linear(let lin): out = lin(t).permuted([0, 2, 1]).reshaped([n, c, h, w])
        }
        return out + x
    }
}

/// diffusers' `BasicTransformerBlock` (layer norms, no AdaLN): self-attention, cross-attention, GEGLU feed-forward,
/// each pre-normed with a residual. `attn1` becomes cross-frame attention when `frames` says so; a tuned video
/// checkpoint may add temporal attention (`norm_temp`, `attn_temp`, as Tune-A-Video names them) after the
/// feed-forward.
struct BasicTransformerBlock {
    let norm1, norm2, norm3: LayerNorm
    let attn1, attn2: CrossAttention
    let ffIn: Linear   // ff.net.0.proj: dim → 2·4·dim (GEGLU)
    let ffOut: Linear  // ff.net.2: 4·dim → dim
    let temporal: TemporalAttention?

    init(_ w: WeightScope, dim: Int, heads: Int, contextDim: Int) throws {
        norm1 = try LayerNorm(w["norm1"], dim: dim, eps: 1e-5)
        norm2 = try LayerNorm(w["norm2"], dim: dim, eps: 1e-5)
        norm3 = try LayerNorm(w["norm3"], dim: dim, eps: 1e-5)
        attn1 = try CrossAttention(w["attn1"], queryDim: dim, contextDim: dim, heads: heads)
        attn2 = try CrossAttention(w["attn2"], queryDim: dim, contextDim: contextDim, heads: heads)
        ffIn = try Linear(w["ff"]["net"][0]["proj"], in: dim, out: 8 * dim)
        ffOut = try Linear(w["ff"]["net"][2], in: 4 * dim, out: dim)
        temporal = w.has("attn_temp") ? try TemporalAttention(w, dim: dim, heads: heads) : nil
    }

    /// x: [N, T, D], context: [N, S, Dc] → [N, T, D]
    func callAsFunction(_ x: Tensor, context: Tensor, frames: FrameAttention) -> Tensor {
        let n1 = norm1(x)
        var h = x + attn1.selfAttention(n1, frames: frames)
        h = h + attn2(norm2(h), context: context)
        h = h + ffOut(ffIn(norm3(h)).geglu())
        if let temporal, case let .frames(count, _) = frames { h = temporal(h, frameCount: count) }
        return h
    }
}

/// Attention along the frame axis at each spatial position (Tune-A-Video's `attn_temp`): x + attn(norm(x)) on
/// [B·T, F, D]. Its `to_out.0` starts at zero when created for tuning, so it adds nothing until trained.
struct TemporalAttention {
    let norm: LayerNorm
    let attn: CrossAttention

    init(_ w: WeightScope, dim: Int, heads: Int) throws {
        norm = try LayerNorm(w["norm_temp"], dim: dim, eps: 1e-5)
        attn = try CrossAttention(w["attn_temp"], queryDim: dim, contextDim: dim, heads: heads)
    }

    /// x: [B·F, T, D] (frames fastest within each clip) → same shape.
    func callAsFunction(_ x: Tensor, frameCount f: Int) -> Tensor {
        let (n, t, d) = (x.shape[0], x.shape[1], x.shape[2])
        let b = n / f
        // [B, F, T, D] → [B, T, F, D] → [B·T, F, D]
        let seq = x.reshaped([b, f, t, d]).permuted([0, 2, 1, 3]).reshaped([b * t, f, d])
        let out = seq + attn(norm(seq), context: norm(seq))
        return out.reshaped([b, t, f, d]).permuted([0, 2, 1, 3]).reshaped([n, t, d])
    }
}

/// diffusers' `Attention` with separate projections (no bias on q/k/v, bias on `to_out.0`).
struct CrossAttention {
    let toQ, toK, toV, toOut: Linear
    let heads: Int

    init(_ w: WeightScope, queryDim: Int, contextDim: Int, heads: Int) throws {
        toQ = try Linear(w["to_q"], in: queryDim, out: queryDim, bias: false)
        toK = try Linear(w["to_k"], in: contextDim, out: queryDim, bias: false)
        toV = try Linear(w["to_v"], in: contextDim, out: queryDim, bias: false)
        toOut = try Linear(w["to_out"][0], in: queryDim, out: queryDim)
        self.heads = heads
    }

    /// x: [N, T, D] attends to context [N, S, Dc] → [N, T, D]
    func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        toOut(Attention.scaledDotProduct(q: toQ(x), k: toK(context), v: toV(context), heads: heads))
    }

    /// Self-attention; with frames folded into N, each frame's queries attend to the keys of the frames
    /// `frames` names (the spatio-temporal attention of the video UNet).
    func selfAttention(_ x: Tensor, frames: FrameAttention) -> Tensor {
        let q = toQ(x), k = toK(x), v = toV(x)
        guard case let .frames(count, sources) = frames, count > 1 else {
            return toOut(Attention.scaledDotProduct(q: q, k: k, v: v, heads: heads))
        }
        return toOut(FrameAttention.attend(q: q, k: k, v: v, heads: heads, frameCount: count, sources: sources))
    }
}
