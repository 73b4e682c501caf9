/// `unet/config.json` of a diffusers `UNet2DConditionModel`; defaults are diffusers' (Stable Diffusion 1.x).
public struct UNetConfig: Decodable, Sendable {
    public var inChannels = 4
    public var outChannels = 4
    public var flipSinToCos = true
    public var freqShift: Float = 0
    public var downBlockTypes = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
    public var upBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    public var blockOutChannels = [320, 640, 1280, 1280]
    public var layersPerBlock = 2
    public var downsamplePadding = 1
    public var normNumGroups = 32
    public var normEps: Float = 1e-5
    public var crossAttentionDim = 768
    /// Heads per block. diffusers' quirk: `attention_head_dim` holds the head count unless `num_attention_heads` is set.
    public var attentionHeads = [8, 8, 8, 8]
    public var useLinearProjection = false
    public var transformerLayersPerBlock = 1
    public var sampleSize = 64
    /// `addition_embed_type`: nil, or "text" (a `TextTimeEmbedding` of the context added to the time embedding).
    public var additionEmbedType: String?
    /// `addition_embed_type_num_heads`: the text pooling's heads (diffusers' default 64).
    public var additionEmbedHeads = 64

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        inChannels = try c.value("in_channels", inChannels)
        outChannels = try c.value("out_channels", outChannels)
        flipSinToCos = try c.value("flip_sin_to_cos", flipSinToCos)
        freqShift = try c.value("freq_shift", freqShift)
        downBlockTypes = try c.value("down_block_types", downBlockTypes)
        upBlockTypes = try c.value("up_block_types", upBlockTypes)
        blockOutChannels = try c.value("block_out_channels", blockOutChannels)
        layersPerBlock = try c.value("layers_per_block", layersPerBlock)
        downsamplePadding = try c.value("downsample_padding", downsamplePadding)
        normNumGroups = try c.value("norm_num_groups", normNumGroups)
        normEps = try c.value("norm_eps", normEps)
        crossAttentionDim = try c.value("cross_attention_dim", crossAttentionDim)
        useLinearProjection = try c.value("use_linear_projection", useLinearProjection)
        sampleSize = try c.value("sample_size", sampleSize)
        let blocks = blockOutChannels.count
        attentionHeads = try c.intOrList("num_attention_heads", count: blocks)
            ?? c.intOrList("attention_head_dim", count: blocks) ?? Array(repeating: 8, count: blocks)
        transformerLayersPerBlock = try c.intOrList("transformer_layers_per_block", count: blocks)?.first ?? 1
        // Variants this implementation does not cover fail loudly rather than load wrong.
        _ = try c.choice("mid_block_type", "UNetMidBlock2DCrossAttn", allowed: ["UNetMidBlock2DCrossAttn"])
        _ = try c.choice("act_fn", "silu", allowed: ["silu"])
        _ = try c.choice("resnet_time_scale_shift", "default", allowed: ["default"])
        _ = try c.choice("time_embedding_type", "positional", allowed: ["positional"])
        if let t = try c.decodeIfPresent(String.self, forKey: AnyKey("class_embed_type")) {
            throw ConfigValueError(key: "class_embed_type", value: t, supported: ["null"])
        }
        additionEmbedType = try c.decodeIfPresent(String.self, forKey: AnyKey("addition_embed_type"))
        if let t = additionEmbedType, t != "text" {
            throw ConfigValueError(key: "addition_embed_type", value: t, supported: ["null", "text"])
        }
        additionEmbedHeads = try c.value("addition_embed_type_num_heads", additionEmbedHeads)
        if let dim = try c.decodeIfPresent(Int.self, forKey: AnyKey("encoder_hid_dim")) {
            throw ConfigValueError(key: "encoder_hid_dim", value: String(dim), supported: ["null"])
        }
        if try c.value("only_cross_attention", false) {
            throw ConfigValueError(key: "only_cross_attention", value: "true", supported: ["false"])
        }
        for t in downBlockTypes where !["CrossAttnDownBlock2D", "DownBlock2D"].contains(t) {
            throw ConfigValueError(key: "down_block_types", value: t, supported: ["CrossAttnDownBlock2D", "DownBlock2D"])
        }
        for t in upBlockTypes where !["CrossAttnUpBlock2D", "UpBlock2D"].contains(t) {
            throw ConfigValueError(key: "up_block_types", value: t, supported: ["CrossAttnUpBlock2D", "UpBlock2D"])
        }
        guard downBlockTypes.count == blocks, upBlockTypes.count == blocks else {
            throw ConfigValueError(key: "block_out_channels", value: "\(blockOutChannels)",
                                   supported: ["one entry per down/up block (\(downBlockTypes.count))"])
        }
        try ConfigCheck.channels("block_out_channels", blockOutChannels)
        for (c, heads) in zip(blockOutChannels, attentionHeads) {
            try ConfigCheck.divides("norm_num_groups", normNumGroups, c, "block channels")
            try ConfigCheck.divides("num_attention_heads (or attention_head_dim)", heads, c, "block channels")
        }
        try ConfigCheck.atLeast("layers_per_block", layersPerBlock, 1)
        try ConfigCheck.atLeast("transformer_layers_per_block", transformerLayersPerBlock, 1)
        try ConfigCheck.atLeast("in_channels", inChannels, 1)
        try ConfigCheck.atLeast("out_channels", outChannels, 1)
        try ConfigCheck.atLeast("cross_attention_dim", crossAttentionDim, 1)
        if additionEmbedType != nil {
            try ConfigCheck.divides("addition_embed_type_num_heads", additionEmbedHeads, crossAttentionDim, "cross_attention_dim")
        }
        try ConfigCheck.atLeast("downsample_padding", downsamplePadding, 0)
    }
}
