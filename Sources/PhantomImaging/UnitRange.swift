/// The mapping between stored samples and the floats a model sees: the full range of
/// the bit depth onto [-1, 1], `v / max * 2 - 1` (`max` = 255 or 65535), and back.
enum UnitRange {
    /// Writes `samples` as floats in [-1, 1] to `destination`.
    static func write<Sample: FixedWidthInteger & UnsignedInteger>(
        _ samples: UnsafeBufferPointer<Sample>, into destination: UnsafeMutablePointer<Float>
    ) {
        let maxValue = Float(Sample.max)
        for index in samples.indices {
            destination[index] = Float(samples[index]) / maxValue * 2 - 1
        }
    }

    /// The sample nearest to `value`: clamped to [-1, 1], scaled to `0...max` and rounded
    /// to nearest; NaN becomes 0.
    static func sample<Sample: FixedWidthInteger & UnsignedInteger>(_ value: Float) -> Sample {
        guard !value.isNaN else { return 0 }
        let clamped = min(max(value, -1), 1)
        return Sample(((clamped + 1) / 2 * Float(Sample.max)).rounded())
    }
}

/// Conversion between images and [-1, 1] floats, as training and sampling use them.
extension GrayImage {
    /// Writes the `width * height` samples, row-major, as floats in [-1, 1]
    /// (`v / 255 * 2 - 1` for 8-bit, `v / 65535 * 2 - 1` for 16-bit) to `destination`.
    ///
    /// - Precondition: `destination` has room for `width * height` floats.
    public func writeFloats(into destination: UnsafeMutablePointer<Float>) {
        switch samples {
        case .uint8(let values): values.withUnsafeBufferPointer { UnitRange.write($0, into: destination) }
        case .uint16(let values): values.withUnsafeBufferPointer { UnitRange.write($0, into: destination) }
        }
    }

    /// The samples as floats in [-1, 1], row-major; see ``writeFloats(into:)``.
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: width * height) { buffer, initialized in
            if let base = buffer.baseAddress { writeFloats(into: base) }
            initialized = width * height
        }
    }

    /// An image from row-major floats in [-1, 1]: the inverse of ``floats()``.
    ///
    /// Values are clamped to [-1, 1], mapped to `0...max` of `bitDepth` and rounded to
    /// nearest; NaN becomes 0 (black).
    ///
    /// - Precondition: `floats.count == width * height`.
    public init<Floats: Collection<Float>>(width: Int, height: Int, bitDepth: BitDepth, floats: Floats) {
        switch bitDepth {
        case .eight:
            let values: [UInt8] = floats.map(UnitRange.sample)
            self.init(width: width, height: height, samples: .uint8(values))
        case .sixteen:
            let values: [UInt16] = floats.map(UnitRange.sample)
            self.init(width: width, height: height, samples: .uint16(values))
        }
    }
}
