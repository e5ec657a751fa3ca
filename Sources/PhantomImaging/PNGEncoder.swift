import CPNG

/// Writes ``GrayImage`` values as grayscale PNG files through libpng's simplified API.
///
/// 8-bit images are written as 8-bit gray (libpng adds an `sRGB` chunk), 16-bit images
/// as 16-bit gray (libpng adds `gAMA` 1.0 and `cHRM`); ``PNGDecoder`` reads both back
/// bit-exactly.
public enum PNGEncoder {
    /// The PNG file for `image`.
    ///
    /// - Parameter path: the name to put in errors.
    /// - Throws: ``ImagingError/Kind/writeFailed`` for an empty image or one wider or
    ///   taller than PNG allows, or if libpng fails.
    public static func encode(_ image: GrayImage, path: String = "<memory>") throws(ImagingError) -> [UInt8] {
        let pngDimensionLimit = Int(Int32.max)
        guard image.width > 0, image.height > 0,
              image.width <= pngDimensionLimit, image.height <= pngDimensionLimit
        else {
            throw ImagingError(
                .writeFailed, path: path, reason: "cannot encode a \(image.width)x\(image.height) image")
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        defer { png_image_free(&png) }

        switch image.samples {
        case .uint8(let samples):
            png.format = UInt32(PNG_FORMAT_GRAY)
            return try encode(samples, with: &png, path: path)
        case .uint16(let samples):
            png.format = UInt32(PNG_FORMAT_LINEAR_Y)
            return try encode(samples, with: &png, path: path)
        }
    }

    /// Encodes `image` and writes it to `path`, replacing any existing file.
    ///
    /// - Throws: ``ImagingError/Kind/writeFailed`` naming `path`.
    public static func write(_ image: GrayImage, to path: String) throws(ImagingError) {
        try FileBytes.writeAll(encode(image, path: path), to: path)
    }

    /// Runs libpng's two-call memory write: measure, then fill.
    private static func encode<Sample>(
        _ samples: [Sample], with png: inout png_image, path: String
    ) throws(ImagingError) -> [UInt8] {
        var size = 0
        let measured = samples.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard measured != 0 else { throw failure(png, path: path) }
        var encoded = [UInt8](repeating: 0, count: size)
        let written = encoded.withUnsafeMutableBytes { output in
            samples.withUnsafeBytes { png_image_write_to_memory(&png, output.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else { throw failure(png, path: path) }
        encoded.removeLast(encoded.count - size)
        return encoded
    }

    private static func failure(_ png: png_image, path: String) -> ImagingError {
        ImagingError(.writeFailed, path: path, reason: "libpng could not encode the image: \(libpngMessage(png))")
    }
}
