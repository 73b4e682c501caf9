import Foundation

/// Normal noise that reproduces PyTorch's CPU `torch.randn(shape, generator=torch.Generator().manual_seed(seed))`
/// for float32, so a seed gives the same starting latents as diffusers.
///
/// PyTorch's CPU generator is MT19937 seeded with the low 32 bits of the seed. A float uniform is
/// (u32 & (2²⁴−1)) / 2²⁴. For tensors of at least 16 elements `normal_fill` first draws all uniforms, then
/// Box-Muller transforms each block of 16: for j < 8, u1 = 1 − U[j], u2 = U[j+8], r = √(−2·ln u1),
/// out[j] = r·cos(2πu2), out[j+8] = r·sin(2πu2); a ragged tail redraws the last 16 values. Smaller tensors use the
/// double-precision sampler: 53-bit uniforms from two u32 draws, u1, u2 in order,
/// r = √(−2·ln(1 − u2)), θ = 2π·u1, out = r·cos θ, with r·sin θ cached for the next value.
public struct TorchRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// The next 32-bit MT19937 output.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_B0DF }
            state[i] = v
        }
        index = 0
    }

    mutating func uniformFloat() -> Float { Float(nextUInt32() & 0xFF_FFFF) / Float(1 << 24) }

    mutating func uniformDouble() -> Double {
        let hi = UInt64(nextUInt32()), lo = UInt64(nextUInt32())
        return Double(((hi << 32) | lo) & ((1 << 53) - 1)) / Double(UInt64(1) << 53)
    }

    /// `count` standard normal Float32 values, as `torch.randn` fills a contiguous tensor of that many elements.
    public mutating func normal(count: Int) -> [Float] {
        if count < 16 { return (0..<count).map { _ in Float(nextDoubleNormal()) } }
        var data = (0..<count).map { _ in uniformFloat() }
        var i = 0
        while i + 16 <= count { Self.boxMuller16(&data, at: i); i += 16 }
        if count % 16 != 0 {
            let start = count - 16
            for j in 0..<16 { data[start + j] = uniformFloat() }
            Self.boxMuller16(&data, at: start)
        }
        return data
    }

    static func boxMuller16(_ data: inout [Float], at base: Int) {
        for j in 0..<8 {
            let u1 = 1 - data[base + j], u2 = data[base + j + 8]
            let radius = (-2 * log(u1)).squareRoot()
            let theta = Float(2 * Double.pi * Double(u2))  // ATen: 2.0f * pi<double> * u2, then float
            data[base + j] = radius * cos(theta)
            data[base + j + 8] = radius * sin(theta)
        }
    }

    mutating func nextDoubleNormal() -> Double {
        if let cached = cachedNormal { cachedNormal = nil; return cached }
        let u1 = uniformDouble(), u2 = uniformDouble()
        let r = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = r * sin(theta)
        return r * cos(theta)
    }
}
