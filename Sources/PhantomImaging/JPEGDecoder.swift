import CJPEG

/// Reads JPEG files into 8-bit ``GrayImage`` values through libjpeg-turbo's TurboJPEG API.
///
/// - Grayscale JPEGs are decoded as they are.
/// - Colour JPEGs (YCbCr or RGB) are decoded to RGB by libjpeg-turbo (accurate IDCT,
///   smooth chroma upsampling) and reduced to luma with the Rec. 709 weights PNG colour
///   gets (``GrayConversion``), not taken from the file's Y channel (Rec. 601), so a
///   colour image gives the same gray as a PNG of it would.
/// - CMYK/YCCK and 12-bit JPEGs are refused as unsupported. EXIF orientation is not
///   applied: rows come in stored order, as in Pillow and torchvision.
/// - A file that makes libjpeg warn is refused: a truncated or damaged JPEG still
///   decodes, with the lost part filled in grey, and training on that is worse than
///   skipping it. The one exception is extraneous bytes between markers, which leaves
///   every pixel intact.
/// - Bombs: the pixel count is checked against `maxPixels` before any pixel buffer is
///   allocated, and a file with more than ``maxScans`` scans (progressive JPEGs have
///   about ten; each scan costs a pass over the image) is refused before decoding.
public enum JPEGDecoder {
    /// The most scans (SOS markers) a JPEG may have.
    public static let maxScans = 500

    /// Reads the JPEG file at `path`.
    ///
    /// - Throws: ``ImagingError`` naming `path`: ``ImagingError/Kind/unreadable`` (missing,
    ///   permissions, a directory), ``ImagingError/Kind/corrupt`` (no JPEG signature,
    ///   truncated or damaged data, or an unsupported kind of JPEG) or
    ///   ``ImagingError/Kind/dimensions``.
    public static func read(path: String, maxPixels: Int = PNGDecoder.defaultMaxPixels) throws(ImagingError) -> GrayImage {
        try decode(FileBytes.readAll(path: path), path: path, maxPixels: maxPixels)
    }

    /// Decodes JPEG data held in memory; see ``read(path:maxPixels:)``.
    public static func decode(
        _ bytes: [UInt8], path: String, maxPixels: Int = PNGDecoder.defaultMaxPixels
    ) throws(ImagingError) -> GrayImage {
        guard !bytes.isEmpty else { throw ImagingError(.corrupt, path: path, reason: "empty file (0 bytes)") }
        guard bytes.starts(with: signature) else {
            throw ImagingError(.corrupt, path: path, reason: "not a JPEG file (no JPEG signature)")
        }
        let scans = scanCount(bytes, stoppingAfter: maxScans)
        guard scans <= maxScans else {
            throw ImagingError(.corrupt, path: path, reason: "JPEG has more than \(maxScans) scans (damaged or hostile file)")
        }
        guard let handle = tjInitDecompress() else {
            throw ImagingError(.corrupt, path: path, reason: "TurboJPEG could not start a decompressor")
        }
        defer { tjDestroy(handle) }

        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw failure(handle, path: path) }
        guard width > 0, height > 0 else {
            throw ImagingError(.dimensions, path: path, reason: "zero image dimensions \(width)x\(height)")
        }
        // JPEG dimensions are 16-bit, so the product cannot overflow.
        let pixelCount = Int(width) * Int(height)
        guard pixelCount <= maxPixels else {
            throw ImagingError(
                .dimensions, path: path, reason: "\(width)x\(height) image exceeds the limit of \(maxPixels) pixels")
        }

        let pixelFormat: TJPF, channels: Int
        switch TJCS(rawValue: UInt32(bitPattern: colorspace)) {
        case TJCS_GRAY: (pixelFormat, channels) = (TJPF_GRAY, 1)
        case TJCS_YCbCr, TJCS_RGB: (pixelFormat, channels) = (TJPF_RGB, 3)
        default:
            throw ImagingError(.corrupt, path: path, reason: "unsupported JPEG colour space (CMYK or YCCK)")
        }
        var pixels = [UInt8](repeating: 0, count: pixelCount * channels)
        let status = bytes.withUnsafeBufferPointer { jpeg in
            pixels.withUnsafeMutableBufferPointer { output in
                tjDecompress2(
                    handle, jpeg.baseAddress, UInt(jpeg.count), output.baseAddress, width, 0, height,
                    Int32(pixelFormat.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        if status != 0 {
            let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            if !(isWarning && message(handle).contains("extraneous bytes before marker")) {
                throw failure(handle, path: path)
            }
        }
        let gray = GrayConversion.gray(
            from: pixels, layout: GrayConversion.Layout(hasColor: channels == 3, hasAlpha: false, premultiplied: false))
        return GrayImage(width: Int(width), height: Int(height), samples: .uint8(gray))
    }

    /// The three bytes every JPEG file starts with (SOI, then the next marker's `FF`).
    static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// The number of start-of-scan markers, found by walking the marker segments and
    /// skipping entropy-coded data; stops counting once past `limit`. A malformed
    /// structure ends the walk (libjpeg then reports it).
    static func scanCount(_ bytes: [UInt8], stoppingAfter limit: Int) -> Int {
        var count = 0
        var index = 2  // after SOI
        let end = bytes.count
        while index + 1 < end, count <= limit {
            guard bytes[index] == 0xFF else { break }
            let marker = bytes[index + 1]
            if marker == 0xFF { index += 1; continue }  // fill byte
            if marker == 0xD9 { break }  // EOI
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { index += 2; continue }  // no length
            guard index + 3 < end else { break }
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length >= 2 else { break }
            index += 2 + length
            guard marker == 0xDA else { continue }
            count += 1
            // Entropy-coded data runs to the next marker other than a stuffed 00 or a restart.
            while index + 1 < end {
                if bytes[index] == 0xFF {
                    let next = bytes[index + 1]
                    if next != 0 && !(0xD0...0xD7).contains(next) { break }
                }
                index += 1
            }
        }
        return count
    }

    /// TurboJPEG's message for the last failure on `handle`.
    private static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }

    private static func failure(_ handle: tjhandle, path: String) -> ImagingError {
        ImagingError(.corrupt, path: path, reason: "truncated, corrupt or unsupported JPEG (libjpeg: \(message(handle)))")
    }
}
