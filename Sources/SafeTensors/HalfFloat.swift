/// Conversions between Float32 and the two 16-bit float formats found in checkpoints.
///
/// | format   | sign | exponent (bias) | mantissa | largest finite |
/// |----------|------|-----------------|----------|----------------|
/// | F16      | 1    | 5 (15)          | 10       | 65504          |
/// | BF16     | 1    | 8 (127)         | 7        | ≈ 3.39e38      |
/// | F32      | 1    | 8 (127)         | 23       | ≈ 3.40e38      |
///
/// Decoding is exact (every F16 and BF16 value is a Float). Encoding rounds to nearest, ties to even, keeps
/// the sign of zero, overflows to ±inf and turns any NaN into a quiet NaN.
public enum HalfFloat {
    /// F16 bits → Float, including subnormals (m·2⁻²⁴), ±inf and NaN (payload kept).
    ///
    /// Branch-light so the bulk loop vectorises: moving the 15 exponent+mantissa bits up by 13 gives a Float
    /// whose exponent is too small by 127 − 15 = 112, fixed by one multiplication with 2¹¹². That product is
    /// also right for subnormals (a half subnormal lands on a float subnormal, scaled exactly).
    @inline(__always)
    public static func float(fromF16 bits: UInt16) -> Float {
        let magnitude = UInt32(bits & 0x7FFF) << 13
        let sign = UInt32(bits & 0x8000) << 16
        let finite = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
        let special = 0x7F80_0000 | magnitude  // exponent all ones: inf or NaN
        return Float(bitPattern: (magnitude >= 0x0F80_0000 ? special : finite) | sign)
    }

    /// Float → F16 bits, round to nearest even (Swift's `Float16` conversion implements IEEE 754 rounding).
    @inline(__always)
    public static func f16Bits(from value: Float) -> UInt16 { Float16(value).bitPattern }

    /// BF16 bits → Float: BF16 is the upper half of a Float.
    @inline(__always)
    public static func float(fromBF16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Float → BF16 bits, round to nearest even on the dropped 16 bits.
    @inline(__always)
    public static func bf16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }  // keep sign, force quiet
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// Decodes `destination.count` little-endian F16 values from `source` (any alignment).
    /// - Parameters: source: `2·n` bytes; destination: `n` floats.
    public static func decodeF16(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count >= 2 * destination.count)
        guard let src = source.baseAddress else { return }
        for i in destination.indices {
            destination[i] = float(fromF16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    /// Decodes `destination.count` little-endian BF16 values from `source` (any alignment).
    /// - Parameters: source: `2·n` bytes; destination: `n` floats.
    public static func decodeBF16(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count >= 2 * destination.count)
        guard let src = source.baseAddress else { return }
        for i in destination.indices {
            destination[i] = float(fromBF16: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }
}
