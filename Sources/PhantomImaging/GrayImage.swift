/// A single-channel image with 8- or 16-bit samples, stored compactly in row-major
/// order, top row first.
///
/// 16-bit samples are kept at full precision everywhere (decode, crop, resize, encode).
public struct GrayImage: Sendable, Hashable {
    /// The samples, one per pixel, in their native width.
    public enum Samples: Sendable, Hashable {
        case uint8([UInt8])
        case uint16([UInt16])

        /// The number of samples.
        public var count: Int {
            switch self {
            case .uint8(let values): values.count
            case .uint16(let values): values.count
            }
        }

        /// The sample width.
        public var bitDepth: BitDepth {
            switch self {
            case .uint8: .eight
            case .uint16: .sixteen
            }
        }
    }

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` samples, row-major.
    public let samples: Samples

    /// Creates an image from row-major samples.
    ///
    /// - Precondition: `width >= 0`, `height >= 0` and `samples.count == width * height`.
    public init(width: Int, height: Int, samples: Samples) {
        precondition(width >= 0 && height >= 0, "GrayImage dimensions must not be negative")
        precondition(samples.count == width * height, "GrayImage needs width * height samples")
        self.width = width
        self.height = height
        self.samples = samples
    }

    /// 8 or 16.
    public var bitDepth: BitDepth { samples.bitDepth }

    /// The sample at column `x`, row `y`, widened to `Int`.
    ///
    /// - Precondition: `0 <= x < width` and `0 <= y < height`.
    public subscript(x x: Int, y y: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel outside the image")
        switch samples {
        case .uint8(let values): return Int(values[y * width + x])
        case .uint16(let values): return Int(values[y * width + x])
        }
    }
}
