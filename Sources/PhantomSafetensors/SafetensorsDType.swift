/// An element type of the safetensors format, named as in the file's header.
///
/// The whole-byte types of the specification; files using the newer sub-byte or
/// exotic types (`F4`, `F6_E2M3`, `F8_E8M0`, `C64`, …) are rejected as unsupported.
public enum SafetensorsDType: String, Sendable, Hashable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }
}

/// Exact widenings of 16-bit floating-point formats to `Float`.
enum HalfPrecision {
    /// The IEEE 754 binary16 value with bit pattern `bits`, exactly (every binary16
    /// value, subnormals, infinities and NaN payloads included, is a binary32 value).
    static func float(fromFloat16 bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits) & 0x3ff
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2⁻²⁴, exact since mantissa < 2¹⁰.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:
            // Infinity (mantissa 0) or NaN with its payload kept.
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }

    /// The bfloat16 value with bit pattern `bits`: the upper half of a binary32.
    static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
