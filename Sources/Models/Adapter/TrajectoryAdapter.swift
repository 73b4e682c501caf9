import Foundation
import Tensors

/// ContextDiff's cross-modal context r_φ(x₀, c, t, neighbours), as this project designs it (docs/ARCHITECTURE.md):
///
/// 1. Each frame's latent estimate x₀ [C, h, w] is cut into p×p patches → tokens [h/p·w/p, D] by `patch_embed`,
///    plus a fixed 2-D sinusoidal position embedding and the timestep embedding (`time_embed`).
/// 2. Context tokens for frame f: the prompt's hidden states through `context_proj`, then the tokens of frames f−1
///    and f+1 (where they exist) plus a learned frame-offset embedding (`frame_offset_embedding`: row 0 previous,
///    row 1 next).
/// 3. `layers.N`: pre-norm cross-attention from the frame's tokens to its context, then a GELU MLP, residual.
/// 4. `norm_out`, `proj_out` back to C·p·p and un-patchify → r [C, h, w]. `proj_out` starts at zero, so an
///    untrained adapter gives r = 0 and plain DDIM.
public struct TrajectoryAdapter {
    public let config: AdapterConfig
    let patchEmbed: Linear
    let timeLinear1, timeLinear2: Linear
    let contextProj: Linear
    let frameOffset: Tensor  // [2, D]
    let layers: [AdapterLayer]
    let normOut: LayerNorm
    let projOut: Linear

    public init(_ w: WeightScope, config c: AdapterConfig) throws {
        config = c
        let patch = c.latentChannels * c.patchSize * c.patchSize
        patchEmbed = try Linear(w["patch_embed"], in: patch, out: c.dim)
        timeLinear1 = try Linear(w["time_embed"]["linear_1"], in: c.dim, out: c.dim)
        timeLinear2 = try Linear(w["time_embed"]["linear_2"], in: c.dim, out: c.dim)
        contextProj = try Linear(w["context_proj"], in: c.contextDim, out: c.dim)
        frameOffset = try w["frame_offset_embedding"].tensor("weight", [2, c.dim])
        layers = try (0..<c.layers).map { try AdapterLayer(w["layers"][$0], dim: c.dim, heads: c.heads) }
        normOut = try LayerNorm(w["norm_out"], dim: c.dim, eps: 1e-5)
        projOut = try Linear(w["proj_out"], in: c.dim, out: patch)
    }

    /// - x0: [B·F, C, h, w] latent estimates (h, w multiples of the patch size), F frames per clip;
    ///   context: [B·F, S, D_ctx] prompt hidden states; timestep t (same for all) → r: [B·F, C, h, w].
    public func callAsFunction(_ x0: Tensor, context: Tensor, timestep: Float, frameCount: Int) -> Tensor {
        let (n, c, h, w) = (x0.shape[0], x0.shape[1], x0.shape[2], x0.shape[3])
        let p = config.patchSize, gh = h / p, gw = w / p, tokens = gh * gw, d = config.dim
        precondition(h % p == 0 && w % p == 0, "adapter: latent \(h)x\(w) not divisible by patch \(p)")
        precondition(n % frameCount == 0, "adapter: batch \(n) not a multiple of \(frameCount) frames")

        // 1. Frame tokens [N, tokens, D].
        let temb = timeLinear2(timeLinear1(timestepEmbedding([timestep], dim: d, flipSinToCos: true, downscaleFreqShift: 0)).silu())
        let position = Self.positionEmbedding(rows: gh, cols: gw, dim: d)
        let embedded = patchEmbed(Self.patchify(x0, patch: p)).reshaped([n, tokens * d])
            .addingRow(position.reshaped([tokens * d]))
            .reshaped([n * tokens, d]).addingRow(temb.reshaped([d]))
            .reshaped([n, tokens, d])
        let text = contextProj(context)

        // 2.–3. Per frame: context = prompt ⧺ neighbours' tokens (+ offset embedding), then the layers.
        var out = Tensor(shape: [n, tokens, d])
        for item in 0..<n {
            let f = item % frameCount
            var parts = [text.slice(axis: 0, item..<(item + 1))]
            for (row, neighbour) in [(0, f - 1), (1, f + 1)] where neighbour >= 0 && neighbour < frameCount {
                let j = item - f + neighbour
                parts.append(embedded.slice(axis: 0, j..<(j + 1)).reshaped([tokens, d])
                    .addingRow(frameOffset.slice(axis: 0, row..<(row + 1)).reshaped([d])).reshaped([1, tokens, d]))
            }
            let ctx = Tensor.concat(parts, axis: 1)
            var hidden = embedded.slice(axis: 0, item..<(item + 1))
            for layer in layers { hidden = layer(hidden, context: ctx) }
            out.scalars.replaceSubrange((item * tokens * d)..<((item + 1) * tokens * d), with: hidden.scalars)
        }
        // 4. Back to latent patches.
        return Self.unpatchify(projOut(normOut(out)), channels: c, height: h, width: w, patch: p)
    }

    /// [N, C, h, w] → [N, (h/p)·(w/p), C·p·p], patch rows in raster order, values in (c, dy, dx) order.
    static func patchify(_ x: Tensor, patch p: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let gh = h / p, gw = w / p, k = c * p * p
        var out = Tensor(shape: [n, gh * gw, k])
        for b in 0..<n { for gy in 0..<gh { for gx in 0..<gw { for ch in 0..<c { for dy in 0..<p { for dx in 0..<p {
            out.scalars[((b * gh * gw) + gy * gw + gx) * k + (ch * p + dy) * p + dx] =
                x.scalars[((b * c + ch) * h + gy * p + dy) * w + gx * p + dx]
        } } } } } }
        return out
    }

    /// Inverse of `patchify`.
    static func unpatchify(_ t: Tensor, channels c: Int, height h: Int, width w: Int, patch p: Int) -> Tensor {
        let n = t.shape[0], gh = h / p, gw = w / p, k = c * p * p
        var out = Tensor(shape: [n, c, h, w])
        for b in 0..<n { for gy in 0..<gh { for gx in 0..<gw { for ch in 0..<c { for dy in 0..<p { for dx in 0..<p {
            out.scalars[((b * c + ch) * h + gy * p + dy) * w + gx * p + dx] =
                t.scalars[((b * gh * gw) + gy * gw + gx) * k + (ch * p + dy) * p + dx]
        } } } } } }
        return out
    }

    /// Fixed 2-D sinusoidal positions [rows·cols, D]: the first half of the channels encode the row, the second
    /// the column (each as [sin, cos] of `dim/4` frequencies, as MAE's 2-D sin-cos embedding).
    public static func positionEmbedding(rows: Int, cols: Int, dim: Int) -> Tensor {
        let quarter = dim / 4
        var out = Tensor(shape: [rows * cols, dim])
        for r in 0..<rows { for col in 0..<cols {
            for (offset, pos) in [(0, r), (dim / 2, col)] {
                for i in 0..<quarter {
                    let omega = 1 / pow(10000, Float(i) / Float(max(quarter, 1)))
                    out.scalars[(r * cols + col) * dim + offset + i] = sin(Float(pos) * omega)
                    out.scalars[(r * cols + col) * dim + offset + quarter + i] = cos(Float(pos) * omega)
                }
            }
        } }
        return out
    }
}

/// One adapter layer: h + attn(norm1(h), norm_context(ctx)), then h + fc2(GELU(fc1(norm2(h)))).
struct AdapterLayer {
    let norm1, normContext, norm2: LayerNorm
    let toQ, toK, toV, toOut: Linear
    let fc1, fc2: Linear
    let heads: Int

    init(_ w: WeightScope, dim d: Int, heads: Int) throws {
        norm1 = try LayerNorm(w["norm1"], dim: d, eps: 1e-5)
        normContext = try LayerNorm(w["norm_context"], dim: d, eps: 1e-5)
        norm2 = try LayerNorm(w["norm2"], dim: d, eps: 1e-5)
        let a = w["attn"]
        toQ = try Linear(a["to_q"], in: d, out: d)
        toK = try Linear(a["to_k"], in: d, out: d)
        toV = try Linear(a["to_v"], in: d, out: d)
        toOut = try Linear(a["to_out"][0], in: d, out: d)
        fc1 = try Linear(w["mlp"]["fc1"], in: d, out: 4 * d)
        fc2 = try Linear(w["mlp"]["fc2"], in: 4 * d, out: d)
        self.heads = heads
    }

    /// h: [1, T, D], context: [1, S, D] → [1, T, D]
    func callAsFunction(_ h: Tensor, context: Tensor) -> Tensor {
        let ctx = normContext(context), q = norm1(h)
        let x = h + toOut(Attention.scaledDotProduct(q: toQ(q), k: toK(ctx), v: toV(ctx), heads: heads))
        return x + fc2(fc1(norm2(x)).gelu())
    }
}
