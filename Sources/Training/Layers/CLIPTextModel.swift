import Models
import Tensors

extension Trainable {
    /// transformers' `CLIPTextModel` (last_hidden_state), differentiable, as `Models.CLIPTextModel` computes it:
    /// token + position embeddings, pre-norm layers with causal self-attention and a QuickGELU/GELU MLP, final norm.
    public struct CLIPTextModel {
        public let config: CLIPTextConfig
        let tokenEmbedding, positionEmbedding: Embedding
        let layers: [CLIPEncoderLayer]
        let finalLayerNorm: LayerNorm

        public init(_ p: ParameterScope, config: CLIPTextConfig) throws {
            self.config = config
            let m = p["text_model"], d = config.hiddenSize
            tokenEmbedding = try Embedding(m["embeddings"]["token_embedding"], count: config.vocabSize, dim: d)
            positionEmbedding = try Embedding(m["embeddings"]["position_embedding"], count: config.maxPositionEmbeddings, dim: d)
            layers = try (0..<config.numHiddenLayers).map { try CLIPEncoderLayer(m["encoder"]["layers"][$0], config: config) }
            finalLayerNorm = try LayerNorm(m["final_layer_norm"], dim: d, eps: config.layerNormEps)
        }

        /// ids: B sequences of T token ids (T ≤ max positions) → [B, T, D].
        public func callAsFunction(_ ids: [[Int]]) -> Variable {
            let t = ids.first?.count ?? 0, d = config.hiddenSize
            let positions = positionEmbedding.weight.slice(axis: 0, 0..<t).reshaped([t * d])
            var h = tokenEmbedding(ids).reshaped([ids.count, t * d]).addingRow(positions).reshaped([ids.count, t, d])
            for layer in layers { h = layer(h) }
            return finalLayerNorm(h)
        }
    }

    struct CLIPEncoderLayer {
        let layerNorm1, layerNorm2: LayerNorm
        let qProj, kProj, vProj, outProj, fc1, fc2: Linear
        let heads: Int
        let quickGELU: Bool

        init(_ p: ParameterScope, config: CLIPTextConfig) throws {
            let d = config.hiddenSize
            layerNorm1 = try LayerNorm(p["layer_norm1"], dim: d, eps: config.layerNormEps)
            layerNorm2 = try LayerNorm(p["layer_norm2"], dim: d, eps: config.layerNormEps)
            let a = p["self_attn"]
            qProj = try Linear(a["q_proj"], in: d, out: d)
            kProj = try Linear(a["k_proj"], in: d, out: d)
            vProj = try Linear(a["v_proj"], in: d, out: d)
            outProj = try Linear(a["out_proj"], in: d, out: d)
            fc1 = try Linear(p["mlp"]["fc1"], in: d, out: config.intermediateSize)
            fc2 = try Linear(p["mlp"]["fc2"], in: config.intermediateSize, out: d)
            heads = config.numAttentionHeads
            quickGELU = config.hiddenAct == "quick_gelu"
        }

        /// x: [B, T, D] → [B, T, D]; causal self-attention (token i attends to tokens 0…i).
        func callAsFunction(_ x: Variable) -> Variable {
            let n = layerNorm1(x)
            let h = x + outProj(Variable.attention(q: qProj(n), k: kProj(n), v: vProj(n), heads: heads, causal: true))
            let m = fc1(layerNorm2(h))
            return h + fc2(quickGELU ? m.quickGELU() : m.gelu())
        }
    }
}
