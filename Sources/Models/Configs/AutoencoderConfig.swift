/// `vae/config.json` of a diffusers `AutoencoderKL`; defaults are diffusers'.
public struct AutoencoderConfig: Decodable, Sendable {
    public var inChannels = 3
    public var outChannels = 3
    public var blockOutChannels = [64]
    public var layersPerBlock = 1
    public var latentChannels = 4
    public var normNumGroups = 32
    /// Latents are multiplied by this after encoding (SD 1.x: 0.18215).
    public var scalingFactor: Float = 0.18215
    public var midBlockAddAttention = true

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        inChannels = try c.value("in_channels", inChannels)
        outChannels = try c.value("out_channels", outChannels)
        blockOutChannels = try c.value("block_out_channels", blockOutChannels)
        layersPerBlock = try c.value("layers_per_block", layersPerBlock)
        latentChannels = try c.value("latent_channels", latentChannels)
        normNumGroups = try c.value("norm_num_groups", normNumGroups)
        scalingFactor = try c.value("scaling_factor", scalingFactor)
        midBlockAddAttention = try c.value("mid_block_add_attention", midBlockAddAttention)
        _ = try c.choice("act_fn", "silu", allowed: ["silu"])
        let down = try c.value("down_block_types", Array(repeating: "DownEncoderBlock2D", count: blockOutChannels.count))
        let up = try c.value("up_block_types", Array(repeating: "UpDecoderBlock2D", count: blockOutChannels.count))
        for t in down where t != "DownEncoderBlock2D" {
            throw ConfigValueError(key: "down_block_types", value: t, supported: ["DownEncoderBlock2D"])
        }
        for t in up where t != "UpDecoderBlock2D" {
            throw ConfigValueError(key: "up_block_types", value: t, supported: ["UpDecoderBlock2D"])
        }
        guard down.count == blockOutChannels.count, up.count == blockOutChannels.count else {
            throw ConfigValueError(key: "block_out_channels", value: "\(blockOutChannels)", supported: ["one entry per block"])
        }
        try ConfigCheck.channels("block_out_channels", blockOutChannels)
        for c in blockOutChannels { try ConfigCheck.divides("norm_num_groups", normNumGroups, c, "block channels") }
        try ConfigCheck.atLeast("layers_per_block", layersPerBlock, 1)
        try ConfigCheck.atLeast("in_channels", inChannels, 1)
        try ConfigCheck.atLeast("out_channels", outChannels, 1)
        try ConfigCheck.atLeast("latent_channels", latentChannels, 1)
    }
}
