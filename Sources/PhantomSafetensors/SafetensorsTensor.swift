import Foundation

/// One tensor of a ``SafetensorsFile``: its description and its validated bytes.
public struct SafetensorsTensor: Sendable {
    /// The tensor's name (its state-dict key).
    public let name: String
    /// The element type stored in the file.
    public let dtype: SafetensorsDType
    /// The extent of each dimension, outermost first (`[]` for a scalar).
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let elementCount: Int
    /// The file the tensor came from, for error messages.
    let path: String
    /// The whole file; the tensor's bytes are `byteRange` of it.
    let storage: Data
    let byteRange: Range<Int>

    /// Calls `body` with the tensor's raw little-endian bytes
    /// (`elementCount × dtype.byteSize` of them; not necessarily aligned).
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { file in
            try body(UnsafeRawBufferPointer(rebasing: file[byteRange]))
        }
    }

    /// The elements as Float32. F32 is copied, F16 and BF16 are widened exactly;
    /// other dtypes throw ``SafetensorsError/Kind/unsupportedConversion``.
    public func floats() throws(SafetensorsError) -> [Float] {
        var result = [Float](repeating: 0, count: elementCount)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(SafetensorsError) in
            try copyFloats(into: buffer)
        }
        return result
    }

    /// Writes the elements as Float32 into `destination`, which must hold exactly
    /// ``elementCount`` elements; converts as ``floats()`` does.
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) throws(SafetensorsError) {
        guard destination.count == elementCount else {
            throw conversionError("has \(elementCount) elements but the destination holds \(destination.count)")
        }
        guard let output = destination.baseAddress else { return }
        switch dtype {
        case .float32:
            withUnsafeBytes { bytes in
                for index in 0..<elementCount {
                    let bits = bytes.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)
                    output[index] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
        case .float16:
            withUnsafeBytes { bytes in
                for index in 0..<elementCount {
                    let bits = bytes.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
                    output[index] = HalfPrecision.float(fromFloat16: UInt16(littleEndian: bits))
                }
            }
        case .bfloat16:
            withUnsafeBytes { bytes in
                for index in 0..<elementCount {
                    let bits = bytes.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
                    output[index] = HalfPrecision.float(fromBFloat16: UInt16(littleEndian: bits))
                }
            }
        default:
            throw conversionError("is \(dtype.rawValue); expected F32, F16 or BF16")
        }
    }

    /// The elements as Int64, from I64 or (widened) I32; other dtypes throw.
    public func int64s() throws(SafetensorsError) -> [Int64] {
        switch dtype {
        case .int64: return withUnsafeBytes { Self.load($0, count: elementCount, as: Int64.self) }
        case .int32: return withUnsafeBytes { Self.load($0, count: elementCount, as: Int32.self).map(Int64.init) }
        default: throw conversionError("is \(dtype.rawValue); expected I64 or I32")
        }
    }

    /// The elements as Int32, from I32 or I64; throws when an I64 value does not
    /// fit in Int32, or for other dtypes.
    public func int32s() throws(SafetensorsError) -> [Int32] {
        switch dtype {
        case .int32: return withUnsafeBytes { Self.load($0, count: elementCount, as: Int32.self) }
        case .int64:
            let wide = withUnsafeBytes { Self.load($0, count: elementCount, as: Int64.self) }
            var result: [Int32] = []
            result.reserveCapacity(wide.count)
            for (index, value) in wide.enumerated() {
                guard let narrow = Int32(exactly: value) else {
                    throw conversionError("value \(value) at index \(index) does not fit in Int32")
                }
                result.append(narrow)
            }
            return result
        default: throw conversionError("is \(dtype.rawValue); expected I32 or I64")
        }
    }

    private static func load<Integer: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, count: Int,
                                                         as type: Integer.Type) -> [Integer] {
        (0..<count).map { Integer(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* MemoryLayout<Integer>.size, as: type)) }
    }

    private func conversionError(_ reason: String) -> SafetensorsError {
        SafetensorsError(.unsupportedConversion, path: path, reason: "tensor \(quoted(name)) \(reason)")
    }
}
