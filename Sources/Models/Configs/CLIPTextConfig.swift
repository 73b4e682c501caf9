/// `text_encoder/config.json` of a transformers `CLIPTextModel`; defaults are transformers' `CLIPTextConfig`.
public struct CLIPTextConfig: Decodable, Sendable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    /// `quick_gelu` (SD 1.x) or `gelu` (SD 2.x).
    public var hiddenAct = "quick_gelu"
    public var layerNormEps: Float = 1e-5

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        vocabSize = try c.value("vocab_size", vocabSize)
        hiddenSize = try c.value("hidden_size", hiddenSize)
        intermediateSize = try c.value("intermediate_size", intermediateSize)
        numHiddenLayers = try c.value("num_hidden_layers", numHiddenLayers)
        numAttentionHeads = try c.value("num_attention_heads", numAttentionHeads)
        maxPositionEmbeddings = try c.value("max_position_embeddings", maxPositionEmbeddings)
        hiddenAct = try c.choice("hidden_act", hiddenAct, allowed: ["quick_gelu", "gelu"])
        layerNormEps = try c.value("layer_norm_eps", layerNormEps)
        try ConfigCheck.atLeast("vocab_size", vocabSize, 1)
        try ConfigCheck.atLeast("hidden_size", hiddenSize, 1)
        try ConfigCheck.atLeast("intermediate_size", intermediateSize, 1)
        try ConfigCheck.atLeast("num_hidden_layers", numHiddenLayers, 0)
        try ConfigCheck.atLeast("max_position_embeddings", maxPositionEmbeddings, 1)
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValueError(key: "num_attention_heads", value: "\(numAttentionHeads)",
                                   supported: ["a divisor of hidden_size \(hiddenSize)"])
        }
    }
}
