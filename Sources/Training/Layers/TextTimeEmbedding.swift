import Models
import Tensors

extension Trainable {
    /// diffusers' `TextTimeEmbedding` (UNet `add_embedding`, `addition_embed_type: "text"`), differentiable, as
    /// `Models.TextTimeEmbedding` computes it: context [N, S, D] → LayerNorm → attention pooling (query: the tokens'
    /// mean + a learned position) → Linear(D → T) → LayerNorm → [N, T].
    public struct TextTimeEmbedding {
        let norm1, norm2: LayerNorm
        let positionalEmbedding: Variable
        let qProj, kProj, vProj, proj: Linear
        let heads: Int

        /// Fresh parameters as diffusers draws them: the position N(0, 1/D) (here uniform with that variance),
        /// the linear layers PyTorch's default, the norms the identity.
        public init(_ p: ParameterScope, contextDim d: Int, timeDim: Int, heads: Int) throws {
            norm1 = try LayerNorm(p["norm1"], dim: d, eps: 1e-5)
            let pool = p["pool"]
            positionalEmbedding = try pool.parameter("positional_embedding", [1, d],
                                                     initial: .uniform(bound: (3 / Float(d)).squareRoot()))
            qProj = try Linear(pool["q_proj"], in: d, out: d)
            kProj = try Linear(pool["k_proj"], in: d, out: d)
            vProj = try Linear(pool["v_proj"], in: d, out: d)
            proj = try Linear(p["proj"], in: d, out: timeDim)
            norm2 = try LayerNorm(p["norm2"], dim: timeDim, eps: 1e-5)
            self.heads = heads
        }

        /// context: [N, S, D] → [N, T]
        public func callAsFunction(_ context: Variable) -> Variable {
            let n = context.shape[0], s = context.shape[1], d = context.shape[2]
            let x = norm1(context)
            let average = Variable(Tensor(shape: [1, s], repeating: 1 / Float(s)))
            let token = x.permuted([0, 2, 1]).linear(weight: average).reshaped([n, 1, d])
                .addingRow(positionalEmbedding.reshaped([d]))
            let tokens = Variable.concat([token, x], axis: 1)
            let pooled = Variable.attention(q: qProj(token), k: kProj(tokens), v: vProj(tokens), heads: heads)
            return norm2(proj(pooled.reshaped([n, d])))
        }
    }
}
