/// Element type of a stored tensor, spelled as in the header (`"dtype": "F16"`).
///
/// `f32`, `f16` and `bf16` convert to `Float` (``SafeTensorsFile/floats(_:)``). The others are recognised so
/// that a file holding them (step counters, masks, FP64 buffers) still opens; read their little-endian bytes
/// with ``SafeTensorsFile/withRawBytes(_:_:)``. Sub-byte types (F4, F6) and complex types are rejected as unknown.
public enum DType: String, CaseIterable, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .f8e4m3, .f8e5m2, .i8, .u8, .bool: 1
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can convert this type to `Float`.
    public var convertsToFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }
}
