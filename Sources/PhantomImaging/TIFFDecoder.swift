import CTIFF

/// Reads TIFF files into ``GrayImage`` values through libtiff, one image per page.
///
/// Pages:
/// - every image file directory (IFD) of the main chain is a page, in file order;
///   reduced-resolution copies (thumbnails, pyramid levels) and transparency masks
///   (`NewSubfileType` bits 0 and 2) are skipped. SubIFDs are not followed.
///
/// Samples (strips or tiles, contiguous or separate planes, any compression libtiff
/// decodes), read with libtiff's scanline and tile calls so precision is kept:
/// - 8-bit gray → 8-bit; 16-bit gray → 16-bit, exactly;
/// - signed 8/16-bit integers are offset by 128 / 32768, so order is kept
///   (a CT slice's −1024 HU becomes 31744);
/// - 32-bit float (and 64-bit float, 32-bit integers): each page's finite minimum
///   maps to 0 and its finite maximum to 65535, linearly, rounded to nearest, giving a
///   16-bit image; NaN and −∞ become 0, +∞ becomes 65535; a page whose finite values
///   are all equal becomes 0;
/// - `MinIsWhite` pages are inverted (`max − value`; floats are negated before mapping),
///   so white is high as in `MinIsBlack`;
/// - RGB (8/16-bit integer, or float) → luma with Rec. 709 weights as for PNG colour
///   (``GrayConversion``); an alpha channel composites on black (associated alpha is
///   already premultiplied and is dropped);
/// - anything else libtiff can render — palette, 1/2/4-bit, YCbCr (JPEG-in-TIFF),
///   CMYK, CIE L*a*b* — goes through libtiff's RGBA interface (`TIFFReadRGBAImage`),
///   which gives 8 bits per channel, then the same luma.
///
/// The `Orientation` tag is not applied: rows come in stored order, as in Pillow and
/// tifffile.
///
/// Safety: page dimensions are checked against `maxPixels` before the page's buffers are
/// allocated, no single buffer (ours or libtiff's) may exceed 8 bytes per allowed pixel
/// (or 16 MiB if that is more), and libtiff's error and warning messages are captured per
/// handle (never printed, never fatal) into the ``ImagingError``.
public enum TIFFDecoder {
    /// The most images one TIFF file may yield.
    public static let maxPages = 100_000

    /// Every page of the TIFF file at `path`, in order.
    ///
    /// - Parameter maxPixels: the most pixels of all pages together (all are held at
    ///   once); each page is checked before it is allocated.
    /// - Throws: ``ImagingError`` naming `path`: ``ImagingError/Kind/unreadable``,
    ///   ``ImagingError/Kind/corrupt`` (no TIFF signature, damaged or unsupported data;
    ///   the reason names the page and libtiff's message) or ``ImagingError/Kind/dimensions``.
    public static func read(path: String, maxPixels: Int = PNGDecoder.defaultMaxPixels) throws(ImagingError) -> [GrayImage] {
        try decode(FileBytes.readAll(path: path), path: path, maxPixels: maxPixels)
    }

    /// Every page of TIFF data held in memory; see ``read(path:maxPixels:)``.
    public static func decode(
        _ bytes: [UInt8], path: String, maxPixels: Int = PNGDecoder.defaultMaxPixels
    ) throws(ImagingError) -> [GrayImage] {
        var pages: [GrayImage] = []
        try forEachPage(bytes, path: path, maxPixels: maxPixels, totalMaxPixels: maxPixels) { pages.append($0) }
        return pages
    }

    /// Calls `body` with each page in order, holding one decoded page at a time.
    ///
    /// - Parameters:
    ///   - maxPixels: the most pixels per page.
    ///   - totalMaxPixels: the most pixels of all pages together, or nil for no such limit.
    static func forEachPage(
        _ bytes: [UInt8], path: String, maxPixels: Int, totalMaxPixels: Int? = nil,
        _ body: (GrayImage) throws(ImagingError) -> Void
    ) throws(ImagingError) {
        guard !bytes.isEmpty else { throw ImagingError(.corrupt, path: path, reason: "empty file (0 bytes)") }
        guard hasSignature(bytes) else {
            throw ImagingError(.corrupt, path: path, reason: "not a TIFF file (no TIFF signature)")
        }
        _ = globalHandlersSilenced
        let source = UnsafeMutablePointer<phantom_tiff_source>.allocate(capacity: 1)
        source.initialize(to: phantom_tiff_source())
        defer {
            source.deinitialize(count: 1)
            source.deallocate()
        }
        try bytes.withUnsafeBufferPointer { (buffer) throws(ImagingError) in
            source.pointee.data = buffer.baseAddress
            source.pointee.size = UInt64(buffer.count)
            // 8 bytes per allowed pixel, and at least 16 MiB for libtiff's directory structures.
            let (budget, overflow) = maxPixels.multipliedReportingOverflow(by: 8)
            let reader = PageReader(
                path: path, source: source, maxPixels: maxPixels, maxBufferBytes: overflow ? .max : max(budget, 16 << 20))
            guard let tiff = phantom_tiff_open(source, path, tmsize_t(reader.maxBufferBytes)) else {
                throw reader.failure("not a readable TIFF")
            }
            defer { TIFFClose(tiff) }

            var page = 0
            var totalPixels = 0
            while true {
                var subfileType: UInt32 = 0
                _ = phantom_tiff_get_defaulted_u32(tiff, UInt32(TIFFTAG_SUBFILETYPE), &subfileType)
                if subfileType & UInt32(FILETYPE_REDUCEDIMAGE | FILETYPE_MASK) == 0 {
                    page += 1
                    guard page <= maxPages else {
                        throw ImagingError(.corrupt, path: path, reason: "TIFF has more than \(maxPages) pages")
                    }
                    let remaining = totalMaxPixels.map { $0 - totalPixels }
                    let image = try reader.readPage(tiff, page: page, remainingPixels: remaining)
                    totalPixels += image.width * image.height
                    try body(image)
                }
                phantom_tiff_clear_messages(source)
                guard TIFFReadDirectory(tiff) != 0 else {
                    if source.pointee.error.0 != 0 { throw reader.failure("page \(page + 1): cannot read its directory") }
                    break
                }
            }
            guard page > 0 else {
                throw ImagingError(.corrupt, path: path, reason: "TIFF holds no full-resolution image")
            }
        }
    }

    /// True for the little- and big-endian TIFF and BigTIFF headers.
    static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || bytes.starts(with: [0x49, 0x49, 0x2B, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2B])
    }

    /// libtiff's process-wide handlers print to stderr; they are turned off once.
    private static let globalHandlersSilenced: Void = phantom_tiff_silence_global_handlers()
}

/// The sample type of a page as libtiff delivers it (host byte order).
private enum SampleKind {
    case uint8, int8, uint16, int16, uint32, int32, float32, float64

    init?(bitsPerSample: UInt16, sampleFormat: UInt16) {
        let isUnsigned = sampleFormat == UInt16(SAMPLEFORMAT_UINT) || sampleFormat == UInt16(SAMPLEFORMAT_VOID)
        let isSigned = sampleFormat == UInt16(SAMPLEFORMAT_INT)
        let isFloat = sampleFormat == UInt16(SAMPLEFORMAT_IEEEFP)
        switch bitsPerSample {
        case 8 where isUnsigned: self = .uint8
        case 8 where isSigned: self = .int8
        case 16 where isUnsigned: self = .uint16
        case 16 where isSigned: self = .int16
        case 32 where isUnsigned: self = .uint32
        case 32 where isSigned: self = .int32
        case 32 where isFloat: self = .float32
        case 64 where isFloat: self = .float64
        default: return nil
        }
    }

    var bytes: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .float64: 8
        }
    }
}

/// Decodes the pages of one open TIFF.
private struct PageReader {
    var path: String
    var source: UnsafeMutablePointer<phantom_tiff_source>
    var maxPixels: Int
    var maxBufferBytes: Int

    /// An error with libtiff's first message since the last clear, if any.
    func failure(_ what: String) -> ImagingError {
        let message = withUnsafeBytes(of: source.pointee.error) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let reason = message.isEmpty ? what : "\(what) (libtiff: \(message))"
        return ImagingError(.corrupt, path: path, reason: reason)
    }

    func readPage(_ tiff: OpaquePointer, page: Int, remainingPixels: Int?) throws(ImagingError) -> GrayImage {
        var width32: UInt32 = 0, height32: UInt32 = 0
        guard phantom_tiff_get_u32(tiff, UInt32(TIFFTAG_IMAGEWIDTH), &width32) != 0,
              phantom_tiff_get_u32(tiff, UInt32(TIFFTAG_IMAGELENGTH), &height32) != 0
        else { throw failure("page \(page): no image dimensions") }
        let width = Int(width32), height = Int(height32)
        guard width > 0, height > 0 else {
            throw ImagingError(.dimensions, path: path, reason: "page \(page): zero image dimensions \(width)x\(height)")
        }
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixelCount <= maxPixels else {
            throw ImagingError(
                .dimensions, path: path,
                reason: "page \(page): \(width)x\(height) image exceeds the limit of \(maxPixels) pixels")
        }
        if let remainingPixels, pixelCount > remainingPixels {
            throw ImagingError(
                .dimensions, path: path,
                reason: "page \(page): the pages together exceed the limit of \(maxPixels) pixels")
        }

        var bitsPerSample: UInt16 = 1, samplesPerPixel: UInt16 = 1, sampleFormat: UInt16 = 1
        var planarConfig: UInt16 = 1, photometric: UInt16 = 0
        _ = phantom_tiff_get_defaulted_u16(tiff, UInt32(TIFFTAG_BITSPERSAMPLE), &bitsPerSample)
        _ = phantom_tiff_get_defaulted_u16(tiff, UInt32(TIFFTAG_SAMPLESPERPIXEL), &samplesPerPixel)
        _ = phantom_tiff_get_defaulted_u16(tiff, UInt32(TIFFTAG_SAMPLEFORMAT), &sampleFormat)
        _ = phantom_tiff_get_defaulted_u16(tiff, UInt32(TIFFTAG_PLANARCONFIG), &planarConfig)
        if phantom_tiff_get_u16(tiff, UInt32(TIFFTAG_PHOTOMETRIC), &photometric) == 0 {
            photometric = UInt16(samplesPerPixel >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)
        }
        var extraCount: UInt16 = 0
        var extraKinds: UnsafePointer<UInt16>?
        _ = phantom_tiff_get_extra_samples(tiff, &extraCount, &extraKinds)

        let colorChannels: Int? = switch Int32(photometric) {
        case PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISWHITE: 1
        case PHOTOMETRIC_RGB: 3
        default: nil
        }
        if let kind = SampleKind(bitsPerSample: bitsPerSample, sampleFormat: sampleFormat),
           let colorChannels, Int(samplesPerPixel) >= colorChannels
        {
            // An alpha channel directly after the colour channels.
            var alpha: Int32?
            if Int(samplesPerPixel) > colorChannels, extraCount > 0, let extraKinds,
               extraKinds[0] == UInt16(EXTRASAMPLE_ASSOCALPHA) || extraKinds[0] == UInt16(EXTRASAMPLE_UNASSALPHA) {
                alpha = Int32(extraKinds[0])
            }
            let layout = PageLayout(
                page: page, width: width, height: height, samplesPerPixel: Int(samplesPerPixel),
                bytesPerSample: kind.bytes, separatePlanes: planarConfig == UInt16(PLANARCONFIG_SEPARATE),
                colorChannels: colorChannels, hasAlpha: alpha != nil)
            return try readNative(
                tiff, layout: layout, kind: kind,
                inverted: Int32(photometric) == PHOTOMETRIC_MINISWHITE,
                premultiplied: alpha == EXTRASAMPLE_ASSOCALPHA)
        }
        if let colorChannels, Int(samplesPerPixel) < colorChannels {
            throw failure("page \(page): \(samplesPerPixel) samples per pixel is too few for its photometric interpretation")
        }
        guard sampleFormat == UInt16(SAMPLEFORMAT_UINT) || sampleFormat == UInt16(SAMPLEFORMAT_VOID) else {
            throw failure("page \(page): unsupported \(bitsPerSample)-bit sample format \(sampleFormat)")
        }
        return try readRGBA(tiff, page: page, width: width, height: height)
    }

    /// Where the samples of one page are and which of them are kept.
    struct PageLayout {
        var page, width, height, samplesPerPixel, bytesPerSample: Int
        var separatePlanes: Bool
        var colorChannels: Int
        var hasAlpha: Bool
        /// Channels kept per pixel: the colour channels, then alpha if any.
        var channels: Int { colorChannels + (hasAlpha ? 1 : 0) }
        /// Bytes between one pixel's samples and the next in a decoded row.
        var pixelStride: Int { separatePlanes ? bytesPerSample : samplesPerPixel * bytesPerSample }
    }

    private func readNative(
        _ tiff: OpaquePointer, layout: PageLayout, kind: SampleKind, inverted: Bool, premultiplied: Bool
    ) throws(ImagingError) -> GrayImage {
        let grayLayout = GrayConversion.Layout(
            hasColor: layout.colorChannels == 3, hasAlpha: layout.hasAlpha, premultiplied: premultiplied)
        let size = (layout.width, layout.height)
        switch kind {
        case .uint8, .int8:
            let offset: UInt8 = kind == .int8 ? 0x80 : 0
            let samples: [UInt8] = try assemble(tiff, layout: layout, inverted: inverted) { raw, color in
                let value = raw.load(as: UInt8.self) ^ offset
                return color ? ~value : value
            }
            return GrayImage(width: size.0, height: size.1, samples: .uint8(GrayConversion.gray(from: samples, layout: grayLayout)))
        case .uint16, .int16:
            let offset: UInt16 = kind == .int16 ? 0x8000 : 0
            let samples: [UInt16] = try assemble(tiff, layout: layout, inverted: inverted) { raw, color in
                let value = raw.loadUnaligned(as: UInt16.self) ^ offset
                return color ? ~value : value
            }
            return GrayImage(width: size.0, height: size.1, samples: .uint16(GrayConversion.gray(from: samples, layout: grayLayout)))
        case .uint32, .int32, .float32, .float64:
            // Alpha is not composited for these: only the colour channels are read.
            var colorOnly = layout
            colorOnly.hasAlpha = false
            let samples: [Float] = try assemble(tiff, layout: colorOnly, inverted: inverted) { raw, color in
                let value: Float = switch kind {
                case .uint32: Float(raw.loadUnaligned(as: UInt32.self))
                case .int32: Float(raw.loadUnaligned(as: Int32.self))
                case .float64: Float(raw.loadUnaligned(as: Double.self))
                default: raw.loadUnaligned(as: Float.self)
                }
                return color ? -value : value
            }
            let gray = layout.colorChannels == 1 ? samples : FloatSamples.luma(fromRGB: samples)
            return GrayImage(width: size.0, height: size.1, samples: .uint16(FloatSamples.mappedToSixteenBit(gray)))
        }
    }

    /// The kept channels of every pixel, interleaved, read strip by strip (scanlines) or
    /// tile by tile. `convert(pointer, invert)` turns one stored sample into a kept one;
    /// `invert` is true for the gray channel of a `MinIsWhite` page.
    private func assemble<Sample: BitwiseCopyable>(
        _ tiff: OpaquePointer, layout: PageLayout, inverted: Bool,
        convert: (UnsafeRawPointer, Bool) -> Sample
    ) throws(ImagingError) -> [Sample] {
        let channels = layout.channels, width = layout.width, height = layout.height
        let stride = layout.pixelStride, sampleBytes = layout.bytesPerSample
        let planes = layout.separatePlanes ? channels : 1
        let page = layout.page
        var output = [Sample](unsafeUninitializedCapacity: width * height * channels) { buffer, initialized in
            // Every sample is written below before it is read; zero them first anyway so
            // an early throw leaves no uninitialized memory behind.
            UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
            initialized = buffer.count
        }

        /// Copies `count` pixels of one decoded row starting at `source` to `(x, y)`.
        func copyRow(_ source: UnsafeRawPointer, plane: Int, x: Int, y: Int, count: Int,
                      into destination: UnsafeMutableBufferPointer<Sample>) {
            var target = (y * width + x) * channels
            var pixel = source
            if layout.separatePlanes {
                let invert = inverted && plane == 0
                for _ in 0..<count {
                    destination[target + plane] = convert(pixel, invert)
                    pixel += stride
                    target += channels
                }
            } else {
                for _ in 0..<count {
                    for channel in 0..<channels {
                        destination[target + channel] = convert(pixel + channel * sampleBytes, inverted && channel == 0)
                    }
                    pixel += stride
                    target += channels
                }
            }
        }

        if TIFFIsTiled(tiff) != 0 {
            var tileWidth: UInt32 = 0, tileHeight: UInt32 = 0
            guard phantom_tiff_get_u32(tiff, UInt32(TIFFTAG_TILEWIDTH), &tileWidth) != 0,
                  phantom_tiff_get_u32(tiff, UInt32(TIFFTAG_TILELENGTH), &tileHeight) != 0,
                  tileWidth > 0, tileHeight > 0
            else { throw failure("page \(page): bad tile size") }
            let tileBytes = Int(clamping: TIFFTileSize64(tiff)), rowBytes = Int(clamping: TIFFTileRowSize64(tiff))
            let (tileRows, overflow) = rowBytes.multipliedReportingOverflow(by: Int(tileHeight))
            guard tileBytes > 0, tileBytes <= maxBufferBytes, !overflow, tileRows <= tileBytes,
                  Int(tileWidth) * stride <= rowBytes
            else { throw failure("page \(page): bad or oversized \(tileWidth)x\(tileHeight) tiles") }
            var tile = [UInt8](repeating: 0, count: tileBytes)
            for plane in 0..<planes {
                for y0 in Swift.stride(from: 0, to: height, by: Int(tileHeight)) {
                    for x0 in Swift.stride(from: 0, to: width, by: Int(tileWidth)) {
                        phantom_tiff_clear_messages(source)
                        let read = tile.withUnsafeMutableBytes {
                            TIFFReadTile(tiff, $0.baseAddress, UInt32(x0), UInt32(y0), 0, UInt16(plane))
                        }
                        guard read >= 0 else { throw failure("page \(page): cannot read the tile at (\(x0), \(y0))") }
                        let rows = min(Int(tileHeight), height - y0), columns = min(Int(tileWidth), width - x0)
                        tile.withUnsafeBytes { tileBuffer in
                            output.withUnsafeMutableBufferPointer { destination in
                                for row in 0..<rows {
                                    copyRow(tileBuffer.baseAddress! + row * rowBytes, plane: plane,
                                            x: x0, y: y0 + row, count: columns, into: destination)
                                }
                            }
                        }
                    }
                }
            }
        } else {
            let lineBytes = Int(clamping: TIFFScanlineSize64(tiff))
            guard lineBytes > 0, lineBytes <= maxBufferBytes, width * stride <= lineBytes else {
                throw failure("page \(page): bad scanline size")
            }
            var line = [UInt8](repeating: 0, count: lineBytes)
            for plane in 0..<planes {
                for y in 0..<height {
                    phantom_tiff_clear_messages(source)
                    let read = line.withUnsafeMutableBytes {
                        TIFFReadScanline(tiff, $0.baseAddress, UInt32(y), UInt16(plane))
                    }
                    guard read >= 0 else { throw failure("page \(page): cannot read row \(y)") }
                    line.withUnsafeBytes { lineBuffer in
                        output.withUnsafeMutableBufferPointer { destination in
                            copyRow(lineBuffer.baseAddress!, plane: plane, x: 0, y: y, count: width, into: destination)
                        }
                    }
                }
            }
        }
        return output
    }

    /// A page libtiff renders as 8-bit RGBA, in stored row order, then luma.
    private func readRGBA(_ tiff: OpaquePointer, page: Int, width: Int, height: Int) throws(ImagingError) -> GrayImage {
        var message = [CChar](repeating: 0, count: 1024)
        guard TIFFRGBAImageOK(tiff, &message) != 0 else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImagingError(.corrupt, path: path, reason: "page \(page): unsupported TIFF (libtiff: \(reason))")
        }
        let pixelCount = width * height
        guard pixelCount * 4 <= maxBufferBytes else {
            throw ImagingError(.dimensions, path: path, reason: "page \(page): \(width)x\(height) image is too large")
        }
        // Asking for the file's own orientation makes libtiff flip nothing.
        var orientation: UInt16 = UInt16(ORIENTATION_TOPLEFT)
        _ = phantom_tiff_get_defaulted_u16(tiff, UInt32(TIFFTAG_ORIENTATION), &orientation)
        var raster = [UInt32](repeating: 0, count: pixelCount)
        phantom_tiff_clear_messages(source)
        let ok = raster.withUnsafeMutableBufferPointer {
            TIFFReadRGBAImageOriented(tiff, UInt32(width), UInt32(height), $0.baseAddress, Int32(orientation), 1)
        }
        guard ok != 0, source.pointee.error.0 == 0 else { throw failure("page \(page): cannot decode the image") }
        // ABGR packed: red in the low byte. The colour is premultiplied by alpha.
        var interleaved = [UInt8](repeating: 0, count: pixelCount * 4)
        for (index, value) in raster.enumerated() {
            interleaved[index * 4] = UInt8(truncatingIfNeeded: value)
            interleaved[index * 4 + 1] = UInt8(truncatingIfNeeded: value >> 8)
            interleaved[index * 4 + 2] = UInt8(truncatingIfNeeded: value >> 16)
            interleaved[index * 4 + 3] = UInt8(truncatingIfNeeded: value >> 24)
        }
        let gray = GrayConversion.gray(
            from: interleaved, layout: GrayConversion.Layout(hasColor: true, hasAlpha: true, premultiplied: true))
        return GrayImage(width: width, height: height, samples: .uint8(gray))
    }
}

/// Floating-point pages: luma and the mapping to 16 bits.
enum FloatSamples {
    /// Rec. 709 luma of interleaved RGB values (the weights of ``GrayConversion``).
    static func luma(fromRGB rgb: [Float]) -> [Float] {
        let red = Float(GrayConversion.redWeight) / 10000, green = Float(GrayConversion.greenWeight) / 10000
        let blue = Float(GrayConversion.blueWeight) / 10000
        return (0..<(rgb.count / 3)).map { red * rgb[3 * $0] + green * rgb[3 * $0 + 1] + blue * rgb[3 * $0 + 2] }
    }

    /// The finite minimum → 0 and maximum → 65535, linearly, rounded to nearest; NaN and
    /// −∞ → 0, +∞ → 65535; all finite values equal → 0.
    static func mappedToSixteenBit(_ values: [Float]) -> [UInt16] {
        var low = Float.infinity, high = -Float.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        let scale = high > low ? 65535 / (Double(high) - Double(low)) : 0
        return values.map { value in
            if value.isNaN || value == -.infinity { return 0 }
            if value == .infinity { return 65535 }
            let mapped = ((Double(value) - Double(low)) * scale).rounded()
            return UInt16(min(max(mapped, 0), 65535))
        }
    }
}
