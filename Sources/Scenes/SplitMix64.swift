/// SplitMix64 (Steele, Lea and Flood, 2014; the constants of Vigna's reference `splitmix64.c`):
/// a small, fast generator whose stream depends only on the seed, on every platform and Swift version.
///
/// The derived draws below are written out here rather than taken from the standard library, whose
/// range-mapping algorithms are not promised to stay the same; scenes drawn from a seed must not change.
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    public mutating func next(in low: Double, _ high: Double) -> Double { low + (high - low) * nextUnit() }

    /// Uniform in 0..<n, without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func next(below n: Int) -> Int {
        precondition(n > 0, "SplitMix64.next(below:) needs n > 0")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let product = next().multipliedFullWidth(by: bound)
            if product.low >= threshold { return Int(product.high) }
        }
    }

    /// A uniformly chosen element of a non-empty collection.
    public mutating func pick<C: RandomAccessCollection>(_ items: C) -> C.Element where C.Index == Int {
        items[items.startIndex + next(below: items.count)]
    }
}
