import CPNG

/// Reads PNG files into ``GrayImage`` values through libpng's simplified API.
///
/// Each file is read in its own bit depth, because libpng treats 8-bit data as sRGB
/// and 16-bit data as linear and would apply a gamma curve when converting between
/// them:
/// - 1-, 2-, 4- and 8-bit files (gray, gray+alpha, RGB, RGBA, palette) become 8-bit
///   images; low bit depths are scaled up to 0…255 by libpng.
/// - 16-bit files become 16-bit images with full precision (host-order samples).
///
/// Colour and alpha are reduced to one gray sample as ``GrayConversion`` documents:
/// Rec. 709 weights `0.2126 R + 0.7152 G + 0.0722 B`, then compositing on black.
/// A file carrying a `gAMA`/`sRGB` chunk that disagrees with that convention (rare
/// for scans) is converted by libpng to it.
public enum PNGDecoder {
    /// The default ceiling on `width * height`: 100 megapixels.
    public static let defaultMaxPixels = 100_000_000

    /// Reads the PNG file at `path`.
    ///
    /// - Parameter maxPixels: images with more pixels are rejected before any pixel
    ///   buffer is allocated.
    /// - Throws: ``ImagingError`` naming `path`: ``ImagingError/Kind/unreadable`` (missing,
    ///   permissions, a directory), ``ImagingError/Kind/notPNG`` (including empty files),
    ///   ``ImagingError/Kind/corrupt`` (truncated or damaged data) or
    ///   ``ImagingError/Kind/dimensions``.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws(ImagingError) -> GrayImage {
        try decode(FileBytes.readAll(path: path), path: path, maxPixels: maxPixels)
    }

    /// Decodes PNG data held in memory.
    ///
    /// - Parameters:
    ///   - bytes: the whole PNG file.
    ///   - path: the name to put in errors.
    ///   - maxPixels: images with more pixels are rejected before allocating.
    /// - Throws: ``ImagingError`` as ``read(path:maxPixels:)`` does.
    public static func decode(
        _ bytes: [UInt8], path: String, maxPixels: Int = defaultMaxPixels
    ) throws(ImagingError) -> GrayImage {
        guard !bytes.isEmpty else { throw ImagingError(.notPNG, path: path, reason: "empty file (0 bytes)") }
        guard bytes.starts(with: pngSignature) else {
            throw ImagingError(.notPNG, path: path, reason: "not a PNG file (no PNG signature)")
        }

        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&png) }
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&png, $0.baseAddress, $0.count) }
        guard began != 0 else { throw libpngFailure(png, path: path) }

        let width = Int(png.width), height = Int(png.height)
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0 else {
            throw ImagingError(.dimensions, path: path, reason: "zero image dimensions \(width)x\(height)")
        }
        guard !overflow, pixelCount <= maxPixels else {
            throw ImagingError(
                .dimensions, path: path,
                reason: "\(width)x\(height) image exceeds the limit of \(maxPixels) pixels")
        }

        let sourceFormat = png.format
        let isSixteenBit = sourceFormat & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        let layout = GrayConversion.Layout(
            hasColor: sourceFormat & UInt32(PNG_FORMAT_FLAG_COLOR) != 0,
            hasAlpha: sourceFormat & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0,
            premultiplied: isSixteenBit)
        // Keep the file's channels and depth; drop only the colour-map flag (palette
        // images are expanded to RGB or RGBA).
        png.format = sourceFormat & UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_LINEAR)

        let sampleCount = pixelCount * layout.channels
        // Deflate expands at most 1032-fold: a file too small for its declared size is
        // corrupt, and is refused before the pixel buffer is allocated.
        let rawBytes = (width * layout.channels * (isSixteenBit ? 2 : 1) + 1) * height
        guard rawBytes <= bytes.count * 1032 else {
            throw ImagingError(
                .corrupt, path: path,
                reason: "\(width)x\(height) image cannot be stored in a \(bytes.count)-byte file (truncated or forged header)")
        }
        if isSixteenBit {
            let interleaved: [UInt16] = try finishRead(&png, sampleCount: sampleCount, path: path)
            let gray = GrayConversion.gray(from: interleaved, layout: layout)
            return GrayImage(width: width, height: height, samples: .uint16(gray))
        } else {
            let interleaved: [UInt8] = try finishRead(&png, sampleCount: sampleCount, path: path)
            let gray = GrayConversion.gray(from: interleaved, layout: layout)
            return GrayImage(width: width, height: height, samples: .uint8(gray))
        }
    }

    /// The eight bytes every PNG file starts with.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes the pixels of a started read into a buffer of `sampleCount` samples.
    private static func finishRead<Sample: FixedWidthInteger>(
        _ png: inout png_image, sampleCount: Int, path: String
    ) throws(ImagingError) -> [Sample] {
        var samples = [Sample](repeating: 0, count: sampleCount)
        let finished = samples.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw libpngFailure(png, path: path) }
        return samples
    }

    /// The error libpng reported for `png`, as a ``ImagingError/Kind/corrupt`` error.
    private static func libpngFailure(_ png: png_image, path: String) -> ImagingError {
        ImagingError(.corrupt, path: path, reason: "truncated or corrupt PNG (libpng: \(libpngMessage(png)))")
    }
}

/// The NUL-terminated text libpng left in `png.message`.
func libpngMessage(_ png: png_image) -> String {
    withUnsafeBytes(of: png.message) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
