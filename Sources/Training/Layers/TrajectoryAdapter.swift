import Foundation
import Models
import Tensors

extension Trainable {
    /// ContextDiff's trajectory adapter r_φ, differentiable, as `Models.TrajectoryAdapter` computes it (same keys
    /// and values). Fresh adapters should start from `Models.TrajectoryAdapter.initialWeights(config:seed:)`
    /// (zero `proj_out`, so r = 0 before training): `ParameterScope(.checkpoint(CheckpointWeights(tensors: …)))`.
    public struct TrajectoryAdapter {
        public let config: AdapterConfig
        let patchEmbed, timeLinear1, timeLinear2, contextProj: Linear
        let frameOffset: Variable  // [2, D]: row 0 previous frame, row 1 next
        let layers: [AdapterLayer]
        let normOut: LayerNorm
        let projOut: Linear

        public init(_ p: ParameterScope, config c: AdapterConfig) throws {
            config = c
            let patch = c.latentChannels * c.patchSize * c.patchSize
            patchEmbed = try Linear(p["patch_embed"], in: patch, out: c.dim)
            timeLinear1 = try Linear(p["time_embed"]["linear_1"], in: c.dim, out: c.dim)
            timeLinear2 = try Linear(p["time_embed"]["linear_2"], in: c.dim, out: c.dim)
            contextProj = try Linear(p["context_proj"], in: c.contextDim, out: c.dim)
            frameOffset = try p["frame_offset_embedding"].parameter("weight", [2, c.dim], initial: .uniform(bound: 0.035))
            layers = try (0..<c.layers).map { try AdapterLayer(p["layers"][$0], dim: c.dim, heads: c.heads) }
            normOut = try LayerNorm(p["norm_out"], dim: c.dim, eps: 1e-5)
            projOut = try Linear(p["proj_out"], in: c.dim, out: patch)
        }

        /// x0: [B·F, C, h, w] latent estimates, F frames per clip; context: [B·F, S, D_ctx]; one timestep
        /// → r: [B·F, C, h, w].
        public func callAsFunction(_ x0: Variable, context: Variable, timestep: Float, frameCount: Int) -> Variable {
            let (n, c, h, w) = (x0.shape[0], x0.shape[1], x0.shape[2], x0.shape[3])
            let p = config.patchSize, gh = h / p, gw = w / p, tokens = gh * gw, d = config.dim
            precondition(h % p == 0 && w % p == 0, "adapter: latent \(h)x\(w) not divisible by patch \(p)")
            precondition(n % frameCount == 0, "adapter: batch \(n) not a multiple of \(frameCount) frames")

            // 1. Frame tokens [N, tokens, D].
            let features = timestepEmbedding([timestep], dim: d, flipSinToCos: true, downscaleFreqShift: 0)
            let temb = timeLinear2(timeLinear1(Variable(features)).silu())
            let position = Variable(Models.TrajectoryAdapter.positionEmbedding(rows: gh, cols: gw, dim: d).reshaped([tokens * d]))
            let patches = x0.reshaped([n, c, gh, p, gw, p]).permuted([0, 2, 4, 1, 3, 5]).reshaped([n, tokens, c * p * p])
            let embedded = patchEmbed(patches).reshaped([n, tokens * d]).addingRow(position)
                .reshaped([n * tokens, d]).addingRow(temb.reshaped([d]))
                .reshaped([n, tokens, d])
            let text = contextProj(context)

            // 2.–3. Per frame: context = prompt ⧺ neighbours' tokens (+ offset embedding), then the layers.
            let frames = (0..<n).map { item -> Variable in
                let f = item % frameCount
                var parts = [text.slice(axis: 0, item..<(item + 1))]
                for (row, neighbour) in [(0, f - 1), (1, f + 1)] where neighbour >= 0 && neighbour < frameCount {
                    let j = item - f + neighbour
                    parts.append(embedded.slice(axis: 0, j..<(j + 1)).reshaped([tokens, d])
                        .addingRow(frameOffset.slice(axis: 0, row..<(row + 1)).reshaped([d])).reshaped([1, tokens, d]))
                }
                let ctx = Variable.concat(parts, axis: 1)
                var hidden = embedded.slice(axis: 0, item..<(item + 1))
                for layer in layers { hidden = layer(hidden, context: ctx) }
                return hidden
            }
            // 4. Back to latent patches.
            return projOut(normOut(Variable.concat(frames, axis: 0)))
                .reshaped([n, gh, gw, c, p, p]).permuted([0, 3, 1, 4, 2, 5]).reshaped([n, c, h, w])
        }
    }

    /// One adapter layer: h + attn(norm1(h), norm_context(ctx)), then h + fc2(GELU(fc1(norm2(h)))).
    struct AdapterLayer {
        let norm1, normContext, norm2: LayerNorm
        let toQ, toK, toV, toOut, fc1, fc2: Linear
        let heads: Int

        init(_ p: ParameterScope, dim d: Int, heads: Int) throws {
            norm1 = try LayerNorm(p["norm1"], dim: d, eps: 1e-5)
            normContext = try LayerNorm(p["norm_context"], dim: d, eps: 1e-5)
            norm2 = try LayerNorm(p["norm2"], dim: d, eps: 1e-5)
            let a = p["attn"]
            toQ = try Linear(a["to_q"], in: d, out: d)
            toK = try Linear(a["to_k"], in: d, out: d)
            toV = try Linear(a["to_v"], in: d, out: d)
            toOut = try Linear(a["to_out"][0], in: d, out: d)
            fc1 = try Linear(p["mlp"]["fc1"], in: d, out: 4 * d)
            fc2 = try Linear(p["mlp"]["fc2"], in: 4 * d, out: d)
            self.heads = heads
        }

        /// h: [1, T, D], context: [1, S, D] → [1, T, D]
        func callAsFunction(_ h: Variable, context: Variable) -> Variable {
            let ctx = normContext(context), q = norm1(h)
            let x = h + toOut(Variable.attention(q: toQ(q), k: toK(ctx), v: toV(ctx), heads: heads))
            return x + fc2(fc1(norm2(x)).gelu())
        }
    }
}
