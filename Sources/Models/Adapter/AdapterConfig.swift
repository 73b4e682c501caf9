/// `adapter/config.json`: the ContextDiff trajectory adapter r_φ and its shift schedule.
public struct AdapterConfig: Codable, Sendable, Equatable {
    /// How the shift enters the forward process, x_t = √ᾱ_t·x₀ + k_t·r + √(1−ᾱ_t)·ε.
    public enum ShiftSchedule: String, Codable, Sendable {
        /// k_t = √ᾱ_t·(1 − √ᾱ_t) (ShiftDDPMs' quadratic shift): 0 at t = 0 and as ᾱ_t → 0.
        case quadratic
        /// k_t = 1 − √ᾱ_t (the prior shift of ContextDiff's released image code).
        case prior

        /// k_t for a given ᾱ_t.
        public func k(alphaCumprod a: Float) -> Float {
            let s = a.squareRoot()
            switch self {
            case .quadratic: return s * (1 - s)
            case .prior: return 1 - s
            }
        }
    }

    public var latentChannels = 4
    /// Side of the square latent patches that become tokens.
    public var patchSize = 2
    /// Width of the adapter's tokens.
    public var dim = 64
    public var layers = 2
    public var heads = 4
    /// Width of the text encoder's hidden states the adapter reads.
    public var contextDim = 768
    public var shift = ShiftSchedule.quadratic
    /// How many times r̂ / x̂₀ are re-estimated per reverse step (1 = once, from x̃₀).
    public var refinements = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case latentChannels = "latent_channels", patchSize = "patch_size", dim, layers, heads
        case contextDim = "context_dim", shift, refinements
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentChannels = try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? latentChannels
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? patchSize
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? dim
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? layers
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? heads
        contextDim = try c.decodeIfPresent(Int.self, forKey: .contextDim) ?? contextDim
        shift = try c.decodeIfPresent(ShiftSchedule.self, forKey: .shift) ?? shift
        refinements = try c.decodeIfPresent(Int.self, forKey: .refinements) ?? refinements
        guard heads > 0, dim % heads == 0 else {
            throw ConfigValueError(key: "heads", value: "\(heads)", supported: ["a divisor of dim \(dim)"])
        }
        guard patchSize > 0, refinements >= 1 else {
            throw ConfigValueError(key: "patch_size/refinements", value: "\(patchSize)/\(refinements)", supported: ["positive values"])
        }
        try ConfigCheck.atLeast("dim", dim, 1)
        try ConfigCheck.atLeast("latent_channels", latentChannels, 1)
        try ConfigCheck.atLeast("context_dim", contextDim, 1)
        try ConfigCheck.atLeast("layers", layers, 0)
    }
}
