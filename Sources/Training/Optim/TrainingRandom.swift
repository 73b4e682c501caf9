import Foundation
import Tensors

/// Seeded random numbers for training (noise, timesteps, initial weights), reproducible across runs and
/// resumptions: a stream is fixed by (seed, stream), so step k of a run draws the same values whether or not the
/// run was interrupted before it (use the step number, or a key hash, as the stream).
///
/// SplitMix64 (Steele, Lea, Flood 2014) on a state mixed from both numbers; normals by Box–Muller in Double.
public struct TrainingRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        state = Self.mix(seed ^ Self.mix(stream &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// A stream named by a string (a parameter key): FNV-1a of its bytes.
    public init(seed: UInt64, key: String) {
        let h = key.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        self.init(seed: seed, stream: h)
    }

    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// `count` standard normal values.
    public mutating func normal(count: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count + 1)
        while out.count < count {
            let u1 = Swift.max(uniform(), 0x1p-60), u2 = uniform()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            out.append(Float(r * Foundation.cos(2 * Double.pi * u2)))
            out.append(Float(r * Foundation.sin(2 * Double.pi * u2)))
        }
        return Array(out.prefix(count))
    }

    /// A tensor of N(0, scale²) values.
    public mutating func normal(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: normal(count: shape.reduce(1, *)).map { $0 * scale })
    }

    /// A tensor uniform in [−bound, bound).
    public mutating func uniform(_ shape: [Int], bound: Float) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = Float((uniform() * 2 - 1) * Double(bound)) }
        }
    }
}
