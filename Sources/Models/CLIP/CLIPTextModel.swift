import Tensors

/// transformers' `CLIPTextModel`: token + position embeddings, pre-norm transformer layers with a causal mask,
/// final layer norm. The last hidden state is the context the UNet cross-attends to.
///
/// Checkpoint keys: `text_model.embeddings.{token,position}_embedding`, `text_model.encoder.layers.N.…`,
/// `text_model.final_layer_norm`.
public struct CLIPTextModel {
    public let config: CLIPTextConfig
    let tokenEmbedding: Embedding
    let positionEmbedding: Embedding
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: LayerNorm

    public init(_ w: WeightScope, config: CLIPTextConfig) throws {
        self.config = config
        let m = w["text_model"], d = config.hiddenSize
        tokenEmbedding = try Embedding(m["embeddings"]["token_embedding"], count: config.vocabSize, dim: d)
        positionEmbedding = try Embedding(m["embeddings"]["position_embedding"], count: config.maxPositionEmbeddings, dim: d)
        layers = try (0..<config.numHiddenLayers).map { try CLIPEncoderLayer(m["encoder"]["layers"][$0], config: config) }
        finalLayerNorm = try LayerNorm(m["final_layer_norm"], dim: d, eps: config.layerNormEps)
    }

    /// Keys present in some checkpoints that are buffers, not parameters.
    public static let bufferKeys: Set<String> = ["text_model.embeddings.position_ids"]

    /// ids: B sequences of T ≤ max_position_embeddings token ids → last hidden state [B, T, D].
    public func callAsFunction(_ ids: [[Int]]) -> Tensor {
        let t = ids.first?.count ?? 0, d = config.hiddenSize
        let positions = Tensor(shape: [t * d], scalars: Array(positionEmbedding.weight.scalars.prefix(t * d)))
        var h = tokenEmbedding(ids).reshaped([ids.count, t * d]).addingRow(positions).reshaped([ids.count, t, d])
        for layer in layers { h = layer(h) }
        return finalLayerNorm(h)
    }
}

/// One CLIP encoder layer: x + attn(ln1(x)), then x + mlp(ln2(x)).
struct CLIPEncoderLayer {
    let layerNorm1, layerNorm2: LayerNorm
    let qProj, kProj, vProj, outProj: Linear
    let fc1, fc2: Linear
    let heads: Int
    let quickGELU: Bool

    init(_ w: WeightScope, config: CLIPTextConfig) throws {
        let d = config.hiddenSize
        layerNorm1 = try LayerNorm(w["layer_norm1"], dim: d, eps: config.layerNormEps)
        layerNorm2 = try LayerNorm(w["layer_norm2"], dim: d, eps: config.layerNormEps)
        let a = w["self_attn"]
        qProj = try Linear(a["q_proj"], in: d, out: d)
        kProj = try Linear(a["k_proj"], in: d, out: d)
        vProj = try Linear(a["v_proj"], in: d, out: d)
        outProj = try Linear(a["out_proj"], in: d, out: d)
        fc1 = try Linear(w["mlp"]["fc1"], in: d, out: config.intermediateSize)
        fc2 = try Linear(w["mlp"]["fc2"], in: config.intermediateSize, out: d)
        heads = config.numAttentionHeads
        quickGELU = config.hiddenAct == "quick_gelu"
    }

    /// x: [B, T, D] → [B, T, D]
    /// Causal self-attention: token i attends to tokens 0…i.
    func callAsFunction(_ x: Tensor) -> Tensor {
        let n = layerNorm1(x)
        let attn = Attention.scaledDotProduct(q: qProj(n), k: kProj(n), v: vProj(n), heads: heads, causal: true)
        let h = x + outProj(attn)
        let m = fc1(layerNorm2(h))
        return h + fc2(quickGELU ? m.quickGELU() : m.gelu())
    }
}
