import Tensors

/// diffusers' `TextTimeEmbedding`, the UNet's `add_embedding` when its config says `addition_embed_type: "text"`:
/// the prompt's context pooled into one vector and added to the time embedding, so every resnet block is shifted
/// by the prompt (as class-conditional diffusion models condition on the class), not only the cross-attention.
///
/// context [N, S, D] → LayerNorm → attention pooling → Linear(D → T) → LayerNorm → [N, T] (T: the time embedding's
/// width). Attention pooling (diffusers' `AttentionPooling`, from DeepFloyd IF): one query token
/// c = mean_s(x_s) + p (p: a learned [1, D] position) attends with `heads` heads over the S + 1 tokens [c; x];
/// scores q·k/√(D/heads); the result is c's attention output, heads concatenated.
public struct TextTimeEmbedding {
    let norm1, norm2: LayerNorm
    let positionalEmbedding: Tensor
    let qProj, kProj, vProj, proj: Linear
    let heads: Int

    /// Keys under `add_embedding`: `norm1`, `pool.{positional_embedding, q_proj, k_proj, v_proj}`, `proj`, `norm2`.
    public init(_ w: WeightScope, contextDim d: Int, timeDim: Int, heads: Int) throws {
        norm1 = try LayerNorm(w["norm1"], dim: d, eps: 1e-5)
        let pool = w["pool"]
        positionalEmbedding = try pool.tensor("positional_embedding", [1, d])
        qProj = try Linear(pool["q_proj"], in: d, out: d)
        kProj = try Linear(pool["k_proj"], in: d, out: d)
        vProj = try Linear(pool["v_proj"], in: d, out: d)
        proj = try Linear(w["proj"], in: d, out: timeDim)
        norm2 = try LayerNorm(w["norm2"], dim: timeDim, eps: 1e-5)
        self.heads = heads
    }

    /// context: [N, S, D] → [N, T]
    public func callAsFunction(_ context: Tensor) -> Tensor {
        let n = context.shape[0], s = context.shape[1], d = context.shape[2]
        let x = norm1(context)
        // The query token: the tokens' mean (a [1, S] averaging row applied along S) plus the learned position.
        let average = Tensor(shape: [1, s], repeating: 1 / Float(s))
        let token = x.permuted([0, 2, 1]).linear(weight: average, bias: nil).reshaped([n, 1, d])
            .addingRow(positionalEmbedding.reshaped([d]))
        let tokens = Tensor.concat([token, x], axis: 1)
        let pooled = Attention.scaledDotProduct(q: qProj(token), k: kProj(tokens), v: vProj(tokens), heads: heads)
        return norm2(proj(pooled.reshaped([n, d])))
    }
}
